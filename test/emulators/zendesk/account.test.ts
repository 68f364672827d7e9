import { describe, expect, test } from 'vitest';
import { Clock, drain, get, post, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);
const TICKETS = '/api/v2/incremental/tickets/cursor.json';

async function endCursor(): Promise<string> {
  const pages = await drain(emu, `${TICKETS}?start_time=0`);
  return pages.at(-1).after_cursor as string;
}

describe('Zendesk emulator: the account-change hook', () => {
  test('after a change, an incremental pull from the saved cursor returns only the changed tickets (once the last minute has passed)', async () => {
    const cursor = await endCursor();
    clock.advance(3600);
    const r = await post(emu, '/__emulator/account', {
      tickets: [{ id: 102, status: 'open', tags: ['reopened'] }, { id: 500, subject: 'Brand new', requester_id: 1001 }],
      comments: [{ ticket_id: 103, author_id: 2002, body: 'Any news?' }],
      deleteTickets: [104],
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ ok: true });
    const hidden = await get(emu, `${TICKETS}?cursor=${encodeURIComponent(cursor)}`);
    expect(hidden.body).toMatchObject({ tickets: [], end_of_stream: true });
    clock.advance(61);
    const pages = await drain(emu, `${TICKETS}?cursor=${encodeURIComponent(cursor)}`);
    const changed = pages.flatMap((p) => p.tickets);
    expect(changed.map((t) => t.id).sort()).toEqual([102, 103, 104, 500]);
    const stamp = clock.sec - 61;
    for (const t of changed) expect(t.generated_timestamp).toBe(stamp);
    expect(changed.find((t) => t.id === 102)).toMatchObject({ status: 'open', tags: ['reopened'], updated_at: new Date(stamp * 1000).toISOString().replace('.000Z', 'Z') });
    expect(changed.find((t) => t.id === 104)?.status).toBe('deleted');
    expect(changed.find((t) => t.id === 500)).toMatchObject({ subject: 'Brand new', status: 'new' });
    const comments = (await get(emu, '/api/v2/tickets/103/comments.json')).body.comments;
    expect(comments.at(-1)).toMatchObject({ author_id: 2002, body: 'Any news?', public: true });
    expect((await get(emu, '/api/v2/tickets/104/comments.json')).status).toBe(404);
  });

  test('users change the same way, in process too; reset restores the seed', async () => {
    emu.configure({ hideLastSeconds: 0 });
    const pages = await drain(emu, '/api/v2/incremental/users/cursor.json?start_time=0');
    const cursor = pages.at(-1).after_cursor as string;
    clock.advance(10);
    emu.account.change({ users: [{ id: 1001, name: 'Ann Renamed' }] });
    const next = (await drain(emu, `/api/v2/incremental/users/cursor.json?cursor=${encodeURIComponent(cursor)}`)).flatMap((p) => p.users);
    expect(next).toMatchObject([{ id: 1001, name: 'Ann Renamed' }]);
    emu.reset();
    expect((await get(emu, '/api/v2/users/1001.json')).body.user.name).toBe('Ann Example');
  });

  test('an invalid change is refused as a whole (400) and changes nothing', async () => {
    for (const body of [{ tickets: [{ subject: 'no id' }] }, { comments: [{ ticket_id: 999, body: 'x' }] }, { deleteTickets: [12345] }, { nope: [] }, { tickets: [{ id: 101, status: 'weird' }] }]) {
      const r = await post(emu, '/__emulator/account', { tickets: [{ id: 101, status: 'open' }], ...body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toBe('InvalidValue');
    }
    expect((await get(emu, '/api/v2/tickets/101.json')).body.ticket.status).toBe('closed');
    expect(() => emu.account.change({ deleteTickets: [777] })).toThrow(/not a ticket/);
  });
});
