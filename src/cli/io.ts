/** Where commands write. Tests and the demo pass their own. */
import { formatError, isPmError } from '../core/errors.js';
import { ManifestError } from '../manifest/index.js';

export interface OutStream {
  write(s: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface Io {
  readonly out: OutStream;
  readonly err: OutStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly stdinIsTTY: boolean;
}

/**
 * A reader that went away before the command finished (`plain-migrate plan --help | head -3`): what is
 * left to print is dropped and the command goes on to its end and its exit code, as if the reader had
 * read it all. Node reports the closed pipe as an 'error' event (EPIPE) which, without a listener, ends
 * the process with a stack trace; any other error of the stream still does.
 */
function dropOutputToClosedPipe(stream: NodeJS.WriteStream): void {
  if (stream.listeners('error').includes(onStreamError)) return;
  stream.on('error', onStreamError);
}

function onStreamError(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EPIPE') throw e;
}

export function processIo(): Io {
  dropOutputToClosedPipe(process.stdout);
  dropOutputToClosedPipe(process.stderr);
  return {
    out: process.stdout,
    err: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    stdinIsTTY: !!process.stdin.isTTY,
  };
}

/** Print a user error without a stack trace. Returns the exit code. */
export function reportError(io: Io, e: unknown): number {
  if (e instanceof ManifestError) {
    io.err.write(`Error: ${e.message}\n`);
    for (const p of e.problems) io.err.write(`  ${formatError(p).replace(/\n/g, '\n  ')}\n`);
    return 1;
  }
  if (isPmError(e)) {
    io.err.write(`Error: ${formatError(e)}\n`);
    // A flag or argument the command cannot take is a usage error, like commander's own.
    return e.code.startsWith('cli.') ? 2 : 1;
  }
  throw e;
}
