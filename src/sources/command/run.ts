/**
 * Running a command source's program: without a shell, in the manifest's directory, with only the
 * environment the manifest declares (plus PATH, HOME and the locale). Its standard output is read line by
 * line as it comes (never held whole; a line is held up to a limit), its standard error only as its last
 * lines, for the message when it fails.
 */
import { StringDecoder } from 'node:string_decoder';
import { LineSplitter, type Line } from '../lines.js';

/** Passed on from the process environment; everything else comes from the source's `env:`. */
export const PASSED_ENV: readonly string[] = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', ...(process.platform === 'win32' ? ['SystemRoot', 'PATHEXT'] : [])];

/** The program's environment: PATH, HOME, LANG, LC_ALL, TZ from `processEnv`, then the source's own `env:`. */
export function childEnv(processEnv: NodeJS.ProcessEnv, declared: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED_ENV) {
    const v = processEnv[k];
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...declared };
}

/** The last `size` lines of a stream (each cut to `width` characters). */
export class LineTail {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly size = 20,
    private readonly width = 500,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const parts = text.split('\n');
    this.partial = parts.pop()!.slice(0, this.width * 4);
    for (const p of parts) this.add(p);
  }

  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.add(rest);
  }

  private add(line: string): void {
    const l = line.replace(/\r$/, '');
    this.lines.push(l.length > this.width ? `${l.slice(0, this.width)}…` : l);
    if (this.lines.length > this.size) this.lines.shift();
  }

  get(): string[] {
    return [...this.lines];
  }
}

export interface RunOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** The most bytes one line may take; a longer one comes as a `too-long` line. */
  readonly maxLineBytes: number;
  /** Called for each line of standard output, in order, one at a time (the program waits while it runs). */
  readonly onLine: (line: Line) => Promise<void>;
}

export interface RunResult {
  /** The exit code, when the program exited by itself. */
  readonly exitCode?: number;
  /** The signal that ended it. */
  readonly signal?: string;
  /** The program could not be started (ENOENT, EACCES…). */
  readonly spawnError?: string;
  /** The pull's signal aborted it. */
  readonly canceled: boolean;
  /** What onLine threw: the program was stopped there. */
  readonly lineError?: unknown;
  /** The last lines of its standard error. */
  readonly stderr: string[];
}

/** Runs the program to its end (or until onLine throws, or the signal aborts: then it is killed). */
export async function runLines(o: RunOptions): Promise<RunResult> {
  // Loaded when a command source runs, not with every command of the CLI (about 0.14 s).
  const { execa } = await import('execa');
  const sub = execa(o.program, [...o.args], {
    cwd: o.cwd,
    env: { ...o.env },
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    cancelSignal: o.signal,
    forceKillAfterDelay: 3000,
    windowsHide: true,
  });
  const tail = new LineTail();
  sub.stderr?.on('data', (c: Buffer) => tail.push(c));
  const splitter = new LineSplitter(o.maxLineBytes);
  let lineError: unknown;
  let stopped = false;
  try {
    if (sub.stdout) {
      for await (const chunk of sub.stdout as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) await o.onLine(line);
      }
      for (const line of splitter.end()) await o.onLine(line);
    }
  } catch (e) {
    stopped = true;
    lineError = e;
    sub.kill();
  }
  const r = await sub;
  tail.end();
  const code = (r as { code?: unknown }).code;
  return {
    ...(typeof r.exitCode === 'number' ? { exitCode: r.exitCode } : {}),
    ...(r.signal ? { signal: r.signal } : {}),
    ...(r.failed && r.exitCode === undefined && !r.signal && !r.isCanceled && !stopped ? { spawnError: typeof code === 'string' ? code : 'could not start' } : {}),
    canceled: r.isCanceled === true || o.signal.aborted,
    ...(stopped ? { lineError } : {}),
    stderr: tail.get(),
  };
}
