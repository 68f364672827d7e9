/** A scripted pull for the pull renderer tests: one connection, two streams, a retry, a rate-limit pause, a note. */
import type { PullEvent } from '../../../src/sources/live/types.js';

export const T0 = Date.UTC(2026, 10, 22, 0, 57, 23);

export const RETRY_URL = 'https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json';

/** [ms after T0, event] in order. */
export function script(): Array<[number, PullEvent]> {
  const out: Array<[number, PullEvent]> = [];
  const at = (ms: number, e: PullEvent) => out.push([ms, e]);
  const req = (ms: number, ok = true) => at(ms, { type: 'request', connection: 'zendesk', ok, at: T0 + ms });
  at(0, { type: 'stream-start', stream: 'zendesk.tickets' });
  for (let i = 0; i < 3; i++) {
    req(1000 * i + 500);
    at(1000 * i + 600, { type: 'page', stream: 'zendesk.tickets', records: 400, added: 390, updated: 10 });
  }
  req(3200, false);
  at(3200, { type: 'retry', connection: 'zendesk', url: RETRY_URL, attempt: 1, delayMs: 1500, reason: 'HTTP 503' });
  at(4000, { type: 'rate-limit-wait', connection: 'zendesk', untilMs: T0 + 16_000 });
  at(4500, { type: 'rate-limit-wait', connection: 'zendesk', untilMs: T0 + 17_000 }); // an extension, not a new pause
  req(17_000);
  at(17_100, { type: 'page', stream: 'zendesk.tickets', records: 0, added: 0, updated: 0 });
  at(17_200, { type: 'stream-done', stream: 'zendesk.tickets' });
  at(17_200, { type: 'stream-start', stream: 'zendesk.ticket_comments', total: 1000 });
  for (let i = 0; i < 8; i++) {
    req(18_000 + 1000 * i);
    at(18_000 + 1000 * i + 50, { type: 'page', stream: 'zendesk.ticket_comments', records: 100, added: 100, updated: 0 });
  }
  at(25_500, { type: 'note', stream: 'zendesk.ticket_comments', message: 'ticket 42 was deleted since it was listed; its comments are kept' });
  return out;
}

/** Plays the script's events after `after` ms and up to `until` ms into `on`, moving the clock. */
export function play(c: { t: number }, on: (e: PullEvent) => void, until = Infinity, after = -1): void {
  for (const [ms, e] of script()) {
    if (ms > until) break;
    if (ms <= after) continue;
    c.t = T0 + ms;
    on(e);
  }
}

export function sink() {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(...s.split('\n').slice(0, -1)) };
}
