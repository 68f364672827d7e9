/**
 * Picks the renderer for `plain-migrate pull`, as `createRenderer` does for apply: the same modes
 * (`auto` is `tty` on a terminal outside CI, else `plain`), options, heartbeat interval
 * (PLAIN_MIGRATE_HEARTBEAT_MS, default 10 000, 0 off) and lazy Ink import: in `tty` mode events that
 * arrive while Ink loads go into the view model (notes are kept for the view), which the Ink view
 * shows as soon as it mounts. `close(summary)` waits for it.
 */
import type { PullEvent } from '../../sources/live/types.js';
import { colorFrom, heartbeatFrom, resolveMode, type OutputMode, type RendererOptions } from '../renderer.js';
import type { PullSummaryLine } from './format.js';
import type { PullInkRenderer } from './ink-renderer.js';
import { PullJsonRenderer } from './json-renderer.js';
import { PullPlainRenderer } from './plain-renderer.js';
import { PullViewModel } from './view-model.js';

export type { PullSummaryLine };

export interface PullRenderer {
  on(e: PullEvent): void;
  /** Prints the summary (when given) or a last frame, stops timers, unmounts Ink. Await it before exiting. */
  close(summary?: PullSummaryLine): Promise<void>;
}

export function createPullRenderer(mode: OutputMode, o: RendererOptions): PullRenderer {
  const env = o.env ?? process.env;
  switch (resolveMode(mode, o.stdout, env)) {
    case 'json':
      return new PullJsonRenderer(o.stdout, { heartbeatMs: heartbeatFrom(o, env), now: o.now });
    case 'plain':
      return new PullPlainRenderer(o.stdout, { heartbeatMs: heartbeatFrom(o, env), now: o.now });
    case 'tty':
      return new LazyPullInkRenderer({ ...o, color: colorFrom(o, env) });
  }
}

/** Notes kept while Ink loads (a pull's first second has a few at most). */
const EARLY_NOTES = 100;

/** Feeds the view model until the Ink module has loaded, then hands over to the Ink renderer. */
export class LazyPullInkRenderer implements PullRenderer {
  private readonly vm: PullViewModel;
  private inner?: PullInkRenderer;
  private readonly ready: Promise<void>;
  private readonly early: PullEvent[] = [];
  private closing = false;

  constructor(o: RendererOptions & { color: boolean }) {
    this.vm = new PullViewModel({ now: o.now });
    this.ready = import('./ink-renderer.js').then((m) => {
      if (this.closing && !this.vm.started) return; // closed before a pull began: nothing to show
      const inner = new m.PullInkRenderer({ stdout: o.stdout, stderr: o.stderr, color: o.color, now: o.now, viewModel: this.vm });
      for (const e of this.early) inner.on(e); // notes only: the view model ignores them
      this.early.length = 0;
      this.inner = inner;
    });
  }

  on(e: PullEvent): void {
    if (this.inner) return this.inner.on(e);
    this.vm.apply(e);
    if (e.type === 'note' && this.early.length < EARLY_NOTES) this.early.push(e);
  }

  async close(summary?: PullSummaryLine): Promise<void> {
    this.closing = true;
    await this.ready;
    await this.inner?.close(summary);
  }
}
