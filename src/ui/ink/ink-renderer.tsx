/**
 * The TTY renderer: events go into the view model at once (cheap counters); a timer samples it at
 * most once per `frameMs` (50 ms → ≤ 20 frames a second, however many events arrive) and re-renders
 * `ApplyApp` only when something changed or the displayed second ticked (elapsed, countdowns).
 * Finished lines are drained into `<Static>`, so they are printed once and the live region keeps a
 * fixed height. `close()` renders the final frame, unmounts Ink and stops the timer.
 */
import { render } from 'ink';
import type { ReactElement } from 'react';
import type { ApplyEvent } from '../../apply/events.js';
import { ApplyViewModel, type FinishedLine } from '../view-model.js';
import { ApplyApp } from './ApplyView.js';
import { asWriteStream, type OutStream } from './stream.js';

/** What the renderer needs from a mounted Ink tree (Ink's `render()` or ink-testing-library's). */
export interface InkMount {
  rerender(node: ReactElement): void;
  unmount(): void;
  waitUntilExit?(): Promise<unknown>;
}

export interface InkRendererOptions {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** false: no colors or styles at all. */
  readonly color: boolean;
  readonly now?: () => number;
  /** Minimum time between two frames. Default 50 ms. */
  readonly frameMs?: number;
  /** Share a view model that already received events. */
  readonly viewModel?: ApplyViewModel;
  /** Tests pass ink-testing-library's `render`. */
  readonly mount?: (node: ReactElement) => InkMount;
}

export const FRAME_MS = 50;

/** Mounts `node` with Ink on the given streams (or with the test's `mount`), at most one frame per `frameMs`. */
export function mountInk(
  o: { readonly stdout: OutStream; readonly stderr: OutStream; readonly frameMs?: number; readonly mount?: (node: ReactElement) => InkMount },
  node: ReactElement,
): InkMount {
  if (o.mount) return o.mount(node);
  return render(node, {
    stdout: asWriteStream(o.stdout),
    stderr: asWriteStream(o.stderr),
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: Math.round(1000 / (o.frameMs ?? FRAME_MS)),
  });
}
/** Finished lines kept in one `<Static>` generation before starting a fresh one. */
const STATIC_GENERATION = 200;

export class InkRenderer {
  readonly vm: ApplyViewModel;
  private readonly now: () => number;
  private readonly color: boolean;
  private readonly ink: InkMount;
  private readonly stdout: OutStream;
  private readonly timer: NodeJS.Timeout;
  private finished: FinishedLine[] = [];
  private generation = 0;
  private dirty = true;
  private shownSecond = -1;
  private closed?: Promise<void>;
  /** Frames rendered so far (for tests and diagnostics). */
  frames = 0;

  constructor(o: InkRendererOptions) {
    this.now = o.now ?? Date.now;
    this.color = o.color;
    this.stdout = o.stdout;
    this.vm = o.viewModel ?? new ApplyViewModel({ now: this.now });
    this.ink = mountInk(o, this.element());
    this.frames++;
    this.timer = setInterval(() => this.tick(), o.frameMs ?? FRAME_MS);
    this.timer.unref();
  }

  on = (e: ApplyEvent): void => {
    this.vm.apply(e);
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
    const fresh = this.vm.takeFinished();
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

  close(): Promise<void> {
    this.closed ??= (async () => {
      clearInterval(this.timer);
      this.flush();
      this.ink.unmount();
      await this.ink.waitUntilExit?.().catch(() => undefined);
    })();
    return this.closed;
  }

  private element(): ReactElement {
    return (
      <ApplyApp view={this.vm.view()} color={this.color} columns={this.stdout.columns || 100} finished={this.finished} generation={this.generation} />
    );
  }
}
