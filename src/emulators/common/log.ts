/** The inspection log behind GET /__emulator/requests. */

export const DEFAULT_MAX_LOGGED_REQUESTS = 10_000;

/** Bounded request log: the oldest entries are dropped past `max`. */
export class RequestLog<T extends object> {
  private entries: T[] = [];

  constructor(private readonly max: number) {}

  add(entry: T): T {
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return entry;
  }

  list(): T[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}
