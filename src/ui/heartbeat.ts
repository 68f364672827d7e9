/**
 * The progress heartbeat shared by the plain-line and JSON renderers: from `start()` until `stop()`,
 * calls `beat` every `intervalMs` on the `start + k·intervalMs` grid (late beats, e.g. from a busy
 * loop, do not drift it). Its timer is unref'd (it never keeps the process alive). `check()` is meant
 * to be called on every event, so a fake clock drives the beats in tests without timers.
 */

/** Default interval; PLAIN_MIGRATE_HEARTBEAT_MS overrides it (renderer.ts), 0 turns it off. */
export const DEFAULT_HEARTBEAT_MS = 10_000;

export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private last = 0;
  private on = false;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
    private readonly beat: () => void,
  ) {}

  /** Between `start()` and `stop()`. */
  get running(): boolean {
    return this.on;
  }

  /** Starts the grid at the current time; the first beat comes one interval later. */
  start(): void {
    this.on = true;
    this.last = this.now();
    this.schedule();
  }

  /** Beats now if one is due. */
  check(): void {
    if (this.on && this.intervalMs > 0 && this.now() - this.last >= this.intervalMs) this.fire();
  }

  stop(): void {
    this.on = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    const n = this.now();
    const since = n - this.last;
    this.last = since >= this.intervalMs ? n - (since % this.intervalMs) : this.last + this.intervalMs;
    this.beat();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.intervalMs <= 0 || !this.on) return;
    this.timer = setTimeout(() => this.fire(), Math.max(1, this.last + this.intervalMs - this.now()));
    this.timer.unref();
  }
}
