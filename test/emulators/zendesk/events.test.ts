import { describe, expect, test } from 'vitest';
import { Clock, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);
const EVENTS = '/api/v2/incremental/ticket_events.json';

/** Follows next_page until end_of_stream. */
async function drainTime(first: string): Promise<any[]> {
  const pages: any[] = [];
  let next = first;
  for (;;) {
    const r = await get(emu, next);
    expect(r.status, r.text).toBe(200);
    pages.push(r.body);
    if (r.body.end_of_stream) return pages;
    next = r.body.next_page;
  }
}

describe('Zendesk emulator: ticket events and organizations (time-based exports)', () => {
  test('include=comment_events: one Audit per comment with a Comment child event', async () => {
    const [page] = await drainTime(`${EVENTS}?start_time=0&include=comment_events`);
    expect(page.ticket_events).toHaveLength(192);
    expect(page).toMatchObject({ count: 192, end_of_stream: true });
    const e = page.ticket_events.find((x: any) => x.child_events[0].id === 5017);
    expect(e).toMatchObject({ id: 50170, ticket_id: 104, event_type: 'Audit', timestamp: Date.parse('2023-03-19T20:52:25Z') / 1000, created_at: '2023-03-19T20:52:25Z' });
    expect(e.child_events[0]).toMatchObject({ event_type: 'Comment', type: 'Comment', author_id: 1004, public: true, audit_id: 50170, created_at: '2023-03-19T20:52:25Z' });
    expect(e.child_events[0].html_body).toContain('Charged twice');
    expect(e.child_events[0].attachments[0].content_url).toBe(`${emu.url}/attachments/token/9001/?name=screenshot.png`);
    expect(e.child_events[0]).not.toHaveProperty('ticket_id');
  });

  test('without comment_events, comment child events carry only comment_present / comment_public', async () => {
    const r = await get(emu, `${EVENTS}?start_time=0`);
    const child = r.body.ticket_events[0].child_events[0];
    expect(child).toEqual({ id: expect.any(Number), event_type: 'Comment', comment_present: true, comment_public: expect.any(Boolean) });
  });

  test('pages of per_page events; end_time is the last timestamp, so the boundary event repeats', async () => {
    const pages = await drainTime(`${EVENTS}?start_time=0&per_page=50&include=comment_events`);
    expect(pages.length).toBeGreaterThan(3);
    const first = pages[0];
    expect(first.next_page).toBe(`${emu.url}/api/v2/incremental/ticket_events.json?per_page=50&include=comment_events&start_time=${first.end_time}`);
    expect(pages[1].ticket_events[0].id).toBe(first.ticket_events.at(-1).id);
    const ids = new Set(pages.flatMap((p) => p.ticket_events.map((e: any) => e.id)));
    expect(ids.size).toBe(192);
  });

  test('status changes made through the hook are Change events; start_time checks apply', async () => {
    const start = clock.sec - 120;
    clock.advance(10);
    emu.account.change({ tickets: [{ id: 103, status: 'solved' }] });
    clock.advance(61);
    const r = await get(emu, `${EVENTS}?start_time=${start}`);
    expect(r.body.ticket_events).toHaveLength(1);
    expect(r.body.ticket_events[0]).toMatchObject({ ticket_id: 103, event_type: 'Audit', child_events: [{ event_type: 'Change', field_name: 'status', previous_value: 'new', value: 'solved' }] });
    expect((await get(emu, `${EVENTS}?start_time=${clock.sec}`)).status).toBe(400);
    expect((await get(emu, `${EVENTS}?start_time=0&per_page=1001`)).status).toBe(400);
  });

  test('organizations: time-based with end_time / next_page / count / end_of_stream', async () => {
    emu.configure({ hideLastSeconds: 0 });
    emu.account.change({ organizations: [{ id: 1, name: 'Acme' }, { id: 2, name: 'Globex' }] });
    clock.advance(1);
    const r = await get(emu, `/api/v2/incremental/organizations.json?start_time=0`);
    expect(r.body).toMatchObject({ count: 2, end_of_stream: true, end_time: clock.sec - 1 });
    expect(r.body.organizations.map((o: any) => o.name)).toEqual(['Acme', 'Globex']);
  });
});
