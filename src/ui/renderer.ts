/**
 * Picks a renderer for an apply run (Gatsby-style interchangeable loggers over one event API):
 * `tty` (Ink), `plain` (timestamped lines for pipes and CI) or `json` (NDJSON). `auto` is `tty` when
 * stdout is a terminal and CI is not set, else `plain`.
 *
 * Ink (with React and yoga) takes most of a second to import, so it is loaded lazily and only in
 * `tty` mode: events that arrive meanwhile go straight into the view model, which the Ink view shows
 * as soon as it mounts. `close()` waits for it.
 */
import type { ApplyEvent } from '../apply/events.js';
import type { InkRenderer } from './ink/ink-renderer.js';
import { JsonRenderer } from './json-renderer.js';
import { DEFAULT_HEARTBEAT_MS } from './heartbeat.js';
import { PlainRenderer } from './plain-renderer.js';
import { ApplyViewModel } from './view-model.js';

export type OutputMode = 'auto' | 'tty' | 'plain' | 'json';

export interface Renderer {
  on(e: ApplyEvent): void;
  /** Renders the final frame, unmounts Ink, stops timers. Call it (and await it) before exiting. */
  close(): Promise<void>;
}

export type OutputStream = NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean; columns?: number };

export interface RendererOptions {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  /** false: no colors at all (`--no-color`). Default: on unless NO_COLOR is set (non-empty). */
  readonly color?: boolean;
  /**
   * Interval of the plain renderer's heartbeat lines and the JSON renderer's `progress` records;
   * default PLAIN_MIGRATE_HEARTBEAT_MS from env, else 10 000; 0 turns them off.
   */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
  readonly env?: NodeJS.ProcessEnv;
}

/** CI is "set" when it has a value other than '', '0' or 'false'. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** The concrete mode `auto` stands for. */
export function resolveMode(mode: OutputMode, stdout: OutputStream, env: NodeJS.ProcessEnv = process.env): Exclude<OutputMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return stdout.isTTY === true && !isCi(env) ? 'tty' : 'plain';
}

/** The heartbeat interval: the option, else PLAIN_MIGRATE_HEARTBEAT_MS, else the default. */
export function heartbeatFrom(o: RendererOptions, env: NodeJS.ProcessEnv): number {
  if (o.heartbeatMs !== undefined) return o.heartbeatMs;
  const raw = env.PLAIN_MIGRATE_HEARTBEAT_MS;
  const n = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : DEFAULT_HEARTBEAT_MS;
}

/** Colours: the option (`--no-color`), else on unless NO_COLOR is set. */
export function colorFrom(o: RendererOptions, env: NodeJS.ProcessEnv): boolean {
  return o.color ?? !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export function createRenderer(mode: OutputMode, o: RendererOptions): Renderer {
  const env = o.env ?? process.env;
  switch (resolveMode(mode, o.stdout, env)) {
    case 'json':
      return new JsonRenderer(o.stdout, { heartbeatMs: heartbeatFrom(o, env), now: o.now });
    case 'plain':
      return new PlainRenderer(o.stdout, { heartbeatMs: heartbeatFrom(o, env), now: o.now });
    case 'tty':
      return new LazyInkRenderer({ ...o, color: colorFrom(o, env) });
  }
}

/** Feeds the view model until the Ink module has loaded, then hands over to the Ink renderer. */
class LazyInkRenderer implements Renderer {
  private readonly vm: ApplyViewModel;
  private inner?: InkRenderer;
  private readonly ready: Promise<void>;
  private closing = false;

  constructor(o: RendererOptions & { color: boolean }) {
    this.vm = new ApplyViewModel({ now: o.now });
    this.ready = import('./ink/ink-renderer.js').then((m) => {
      if (this.closing && !this.vm.started) return; // closed before a run began: nothing to show
      this.inner = new m.InkRenderer({ stdout: o.stdout, stderr: o.stderr, color: o.color, now: o.now, viewModel: this.vm });
    });
  }

  on(e: ApplyEvent): void {
    if (this.inner) this.inner.on(e);
    else this.vm.apply(e);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.ready;
    await this.inner?.close();
  }
}
