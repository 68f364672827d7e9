import { describe, expect, test } from 'vitest';
import { Clock, drain, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);
const TICKETS = '/api/v2/incremental/tickets/cursor.json';

describe('Zendesk emulator: incremental ticket export (cursor)', () => {
  test('a full export with small pages: ordered by (generated_timestamp, id), an empty page before end_of_stream, every ticket once', async () => {
    const pages = await drain(emu, `${TICKETS}?start_time=0&per_page=5`);
    const tickets = pages.flatMap((p) => p.tickets);
    expect(tickets).toHaveLength(40);
    expect(new Set(tickets.map((t) => t.id)).size).toBe(40);
    const keys = tickets.map((t) => [t.generated_timestamp, t.id]);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(tickets[0]).toMatchObject({ id: 101, generated_timestamp: Date.parse('2023-01-09T13:46:33Z') / 1000 });
    // the quickstart starts in 2023: the first page (from 1970) is empty, yet the stream goes on
    expect(pages[0]).toMatchObject({ tickets: [], end_of_stream: false, before_url: null, before_cursor: null });
    expect(pages.filter((p) => p.tickets.length === 0 && p.end_of_stream === false).length).toBeGreaterThanOrEqual(1);
    expect(pages.slice(0, -1).every((p) => p.end_of_stream === false)).toBe(true);
    expect(pages.at(-1).end_of_stream).toBe(true);
    expect(pages.at(-1).after_url).toMatch(new RegExp(`^${emu.url}/api/v2/incremental/tickets/cursor\\.json\\?.*cursor=`));
    expect(tickets.find((t) => t.id === 117)?.status).toBe('deleted');
  });

  test('resuming from the last after_cursor returns nothing new and end_of_stream', async () => {
    const pages = await drain(emu, `${TICKETS}?start_time=0`);
    const cursor = pages.at(-1).after_cursor as string;
    const r = await get(emu, `${TICKETS}?cursor=${encodeURIComponent(cursor)}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ tickets: [], end_of_stream: true, after_cursor: cursor });
  });

  test('start_time must be at least a minute old; per_page ≤ 1000; start_time or cursor required', async () => {
    const tooRecent = { error: 'InvalidValue', description: 'Too recent start_time. Use a start_time older than 1 minute' };
    for (const t of [clock.sec - 30, clock.sec + 3600]) {
      const r = await get(emu, `${TICKETS}?start_time=${t}`);
      expect(r.status).toBe(400);
      expect(r.body).toEqual(tooRecent);
    }
    expect((await get(emu, `${TICKETS}?start_time=${clock.sec - 60}`)).status).toBe(200);
    const big = await get(emu, `${TICKETS}?start_time=0&per_page=1001`);
    expect(big.status).toBe(400);
    expect(big.body).toEqual({ error: 'InvalidPaginationParameter', description: 'per_page must be ≤ 1000' });
    expect((await get(emu, TICKETS)).status).toBe(400);
    expect((await get(emu, `${TICKETS}?start_time=yesterday`)).status).toBe(400);
    expect((await get(emu, `${TICKETS}?cursor=bm9wZQ==`)).body.error).toBe('InvalidPaginationParameter');
  });

  test('exclude_deleted=true hides deleted tickets; support_type_scope defaults to agent', async () => {
    const all = (await drain(emu, `${TICKETS}?start_time=0&exclude_deleted=true`)).flatMap((p) => p.tickets);
    expect(all).toHaveLength(39);
    expect(all.some((t) => t.status === 'deleted')).toBe(false);
    emu.configure({ hideLastSeconds: 0 });
    emu.account.change({ tickets: [{ id: 900, subject: 'Bot conversation', ai_agent: true }] });
    const agent = (await drain(emu, `${TICKETS}?start_time=0`)).flatMap((p) => p.tickets);
    expect(agent.map((t) => t.id)).not.toContain(900);
    const ai = (await drain(emu, `${TICKETS}?start_time=0&support_type_scope=ai_agent`)).flatMap((p) => p.tickets);
    expect(ai.map((t) => t.id)).toEqual([900]);
    expect(ai[0]).not.toHaveProperty('ai_agent');
    const every = (await drain(emu, `${TICKETS}?start_time=0&support_type_scope=all`)).flatMap((p) => p.tickets);
    expect(every).toHaveLength(41);
    expect((await get(emu, `${TICKETS}?start_time=0&support_type_scope=bots`)).status).toBe(400);
  });

  test('include=users sideloads the requesters, submitters and assignees of the page', async () => {
    const pages = await drain(emu, `${TICKETS}?start_time=0&include=users`);
    const page = pages.find((p) => p.tickets.length > 0);
    const ids = new Set(page.tickets.flatMap((t: any) => [t.requester_id, t.submitter_id, t.assignee_id]).filter((x: unknown) => x !== null));
    expect(page.users.map((u: any) => u.id).sort()).toEqual([...ids].sort());
  });

  test('the users export works the same way on updated_at', async () => {
    const pages = await drain(emu, '/api/v2/incremental/users/cursor.json?start_time=0&per_page=7');
    const users = pages.flatMap((p) => p.users);
    expect(users).toHaveLength(19);
    expect(pages.at(-1).end_of_stream).toBe(true);
    expect(Object.keys(pages.at(-1))).toEqual(['users', 'after_url', 'after_cursor', 'before_url', 'before_cursor', 'end_of_stream']);
  });
});
