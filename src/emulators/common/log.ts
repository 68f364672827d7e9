/** The inspection log behind GET /__emulator/requests. */

export const DEFAULT_MAX_LOGGED_REQUESTS = 10_000;

/** One logged request, as the REST emulators (Zendesk, Freshdesk, Help Scout, Intercom, Front, HelpSpot) record it. */
export interface RequestLogEntry {
  /** ISO 8601 time the request arrived (the emulator's clock). */
  at: string;
  method: string;
  /** Without the query string. */
  path: string;
  /** The query string without "?", "" when none. */
  query: string;
  /** The route's name (what fault rules match), null for an unknown route. */
  operation: string | null;
  /** HTTP status sent; 0 when no response was sent (faults reset, hang). */
  status: number;
}

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
