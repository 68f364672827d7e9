/**
 * The pull's TTY renderer, as apply's InkRenderer: events go into the view model at once; a timer
 * samples it at most once per `frameMs` and re-renders when something changed or the displayed second
 * ticked (elapsed, the wait countdown). Streams that are done and notes go into `<Static>` (printed
 * once; a fresh generation every STATIC_GENERATION lines so the array never grows without bound).
 * `close(summary)` renders the final frame (the summary lines), unmounts Ink and stops the timer.
 */
import type { ReactElement } from 'react';
import type { PullEvent } from '../../sources/live/types.js';
import { FRAME_MS, mountInk, type InkMount } from '../ink/ink-renderer.js';
import type { OutStream } from '../ink/stream.js';
import { streamDoneText, type PullSummaryLine } from './format.js';
import { PullApp, type PullFinishedLine } from './PullView.js';
import { PullViewModel } from './view-model.js';

export interface PullInkRendererOptions {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** false: no colors or styles at all. */
  readonly color: boolean;
  readonly now?: () => number;
  /** Minimum time between two frames. Default 50 ms. */
  readonly frameMs?: number;
  /** Share a view model that already received events. */
  readonly viewModel?: PullViewModel;
  /** Tests pass ink-testing-library's `render`. */
  readonly mount?: (node: ReactElement) => InkMount;
}

const STATIC_GENERATION = 200;

export class PullInkRenderer {
  readonly vm: PullViewModel;
  private readonly now: () => number;
  private readonly ink: InkMount;
  private readonly timer: NodeJS.Timeout;
  private readonly shownDone = new Set<string>();
  private notes: string[] = [];
  private finished: PullFinishedLine[] = [];
  private generation = 0;
  private nextId = 1;
  private dirty = true;
  private shownSecond = -1;
  private summary?: PullSummaryLine;
  private closed?: Promise<void>;
  /** Frames rendered so far (for tests and diagnostics). */
  frames = 0;

  constructor(private readonly o: PullInkRendererOptions) {
    this.now = o.now ?? Date.now;
    this.vm = o.viewModel ?? new PullViewModel({ now: this.now });
    this.ink = mountInk(o, this.element());
    this.frames++;
    this.timer = setInterval(() => this.tick(), o.frameMs ?? FRAME_MS);
    this.timer.unref();
  }

  on = (e: PullEvent): void => {
    this.vm.apply(e);
    if (e.type === 'note') this.notes.push(`${e.stream}: ${e.message}`);
    if (e.type === 'stream-start') this.shownDone.delete(e.stream); // pulled again: its done line comes again
    this.dirty = true;
  };

  /** Called by the timer: render if the model changed or the clock's second did. */
  tick(): void {
    if (this.closed) return;
    if (this.dirty || Math.floor(this.now() / 1000) !== this.shownSecond) this.flush();
  }

  /** Render a frame now. */
  flush(): void {
    this.dirty = false;
    this.shownSecond = Math.floor(this.now() / 1000);
    const fresh: PullFinishedLine[] = this.notes.map((text) => ({ id: this.nextId++, kind: 'note' as const, text }));
    this.notes = [];
    for (const s of this.vm.view().streams) {
      if (!s.done || this.shownDone.has(s.stream)) continue;
      this.shownDone.add(s.stream);
      fresh.push({ id: this.nextId++, kind: 'done', text: streamDoneText(s) });
    }
    if (fresh.length > 0) {
      if (this.finished.length + fresh.length > STATIC_GENERATION) {
        this.generation++;
        this.finished = fresh;
      } else {
        this.finished = [...this.finished, ...fresh];
      }
    }
    this.ink.rerender(this.element());
    this.frames++;
  }

  close(summary?: PullSummaryLine): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      this.summary = summary;
      this.flush();
      this.ink.unmount();
      await this.ink.waitUntilExit?.().catch(() => undefined);
    })();
    return this.closed;
  }

  private element(): ReactElement {
    return (
      <PullApp
        view={this.vm.view()}
        now={this.now()}
        color={this.o.color}
        columns={this.o.stdout.columns || 100}
        summary={this.summary}
        finished={this.finished}
        generation={this.generation}
      />
    );
  }
}
