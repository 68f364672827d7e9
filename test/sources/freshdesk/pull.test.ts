/**
 * The Freshdesk adapter against the strict Freshdesk emulator (in process): a full pull equals the account
 * it was seeded from (spam and deleted tickets with their flags); an incremental pull asks only for what
 * changed; an account of more than 300 pages is pulled whole; a stopped pull resumes to the same snapshot;
 * 429, 503 and resets are retried; a 401 stops the pull and names the connection's auth.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadFreshdeskSeed, startFreshdeskEmulator, type FreshdeskEmulator, type FreshdeskSeed } from '../../../src/emulators/freshdesk/index.js';
import type { ConnectionDecl, LiveSourceDecl } from '../../../src/manifest/types.js';
import { freshdeskKind } from '../../../src/sources/freshdesk/index.js';
import { listPerMinute } from '../../../src/sources/freshdesk/lists.js';
import type { StateStore } from '../../../src/state/types.js';
import { connectionDecl, dump, injectFaults, liveSource, memoryState as open, operations, pullKind, pullLiveError, records, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const EXPORT_DIR = join(import.meta.dirname, '../../../examples/freshdesk-api/export');
const KEY = 'fd-emulator-key';
let seed: FreshdeskSeed;
let emu: FreshdeskEmulator;
beforeEach(async () => {
  seed = await loadFreshdeskSeed(EXPORT_DIR);
  emu = await startFreshdeskEmulator({ seed, requestsPerMinute: 0, listPerMinute: 0 });
});
afterEach(async () => {
  await emu.close();
});

function connection(key = KEY): ConnectionDecl {
  return connectionDecl('fd', 'freshdesk', emu.url, { apiKey: key }, { requestsPerMinute: 100_000 });
}
const source = (name: string, stream: string) => liveSource('freshdesk', 'fd', name, stream);
const SOURCES = [source('tickets', 'tickets'), source('conversations', 'conversations'), source('contacts', 'contacts'), source('agents', 'agents'), source('companies', 'companies')];

function pull(state: StateStore, o: PullOpts & { key?: string; sources?: LiveSourceDecl[] } = {}) {
  const conn = connection(o.key);
  return pullKind(freshdeskKind, conn, o.sources ?? SOURCES, state, { ...o, secrets: [conn.auth['apiKey']!] });
}
const ops = (from = 0) => operations(emu, from);

describe('freshdesk pull', () => {
  test('a full pull holds every ticket (spam and deleted with their flags, description, requester, stats), conversation, contact, agent and company of the account', async () => {
    const state = open();
    await pull(state);
    const tickets = await records(state, 'fd.tickets');
    expect(tickets.map((t) => t.id).sort()).toEqual(seed.tickets!.map((t) => t.id).sort());
    expect(tickets.find((t) => t.id === 1011)).toMatchObject({ spam: true });
    expect(tickets.find((t) => t.id === 1012)).toMatchObject({ deleted: true });
    expect(await state.snapshot.stream('fd.tickets')).toMatchObject({ complete: true, deleted: 1 });
    const t1 = tickets.find((t) => t.id === 1001)!;
    expect(t1.description).toBe(seed.tickets![0]!.description);
    expect(t1.requester).toMatchObject({ id: 5001, email: 'ann@example.com' });
    expect(t1.stats).toEqual(seed.tickets![0]!.stats);
    // Conversations of every ticket but the deleted one, with ticket_id.
    const convs = await records(state, 'fd.conversations');
    expect(convs.map((c) => [c.id, c.ticket_id]).sort()).toEqual(seed.conversations!.filter((c) => c.ticket_id !== 1012).map((c) => [c.id, c.ticket_id]).sort());
    const withFile = convs.find((c) => c.attachments.length > 0)!;
    expect(withFile.attachments[0].attachment_url).toMatch(/^http:\/\/localhost:\d+\/fd-attachments\/60001\/invoice-0042\.txt\?expires=/);
    expect(withFile.attachments[0].local_path).toBeUndefined();
    expect((await records(state, 'fd.contacts')).map((c) => c.id).sort()).toEqual(seed.contacts!.map((c) => c.id).sort());
    expect((await records(state, 'fd.agents')).map((c) => c.contact.email).sort()).toEqual(seed.agents!.map((a) => (a.contact as any).email).sort());
    expect((await records(state, 'fd.companies')).length).toBe(2);
    // The ticket list asked as Airbyte does, three times (default, spam, deleted).
    const lists = emu.requests().filter((r) => r.operation === 'tickets.list').map((r) => new URLSearchParams(r.query));
    expect(lists.map((q) => q.get('filter'))).toEqual([null, 'spam', 'deleted']);
    for (const q of lists) expect(Object.fromEntries(q)).toMatchObject({ order_by: 'updated_at', order_type: 'asc', include: 'description,requester,stats', per_page: '100', page: '1', updated_since: '1970-01-01T00:00:00Z' });
    await state.close();
  });

  test('the next pull asks only for what changed: one page of each listing and the changed tickets\' conversations', async () => {
    const state = open();
    await pull(state);
    expect(ops()['ticket.conversations']).toBe(11); // every ticket but the deleted one
    emu.account.change({
      tickets: [{ id: 1002, status: 5 }, { id: 1013, subject: 'New after the first pull', requester_id: 5002, description: '<p>hi</p>', tags: [] }],
      conversations: [{ id: 900001, ticket_id: 1003, body: '<p>One more thing</p>', incoming: true, user_id: 5003 }],
      deleteTickets: [1004],
      spamTickets: [1005],
      contacts: [{ id: 5008, name: 'Hal Kim-Li' }],
    });
    const r0 = emu.requests().length;
    await pull(state);
    const after = ops(r0);
    // 1002, 1003 (its new conversation), 1013 and the spam-marked 1005 changed; 1004 is deleted (its conversations stay as pulled).
    expect(after['ticket.conversations']).toBe(4);
    expect(after['tickets.list']).toBe(3);
    expect(after['contacts.list']).toBe(2); // _updated_since, then state=deleted
    const tickets = await records(state, 'fd.tickets');
    expect(tickets.find((t) => t.id === 1002)?.status).toBe(5);
    expect(tickets.find((t) => t.id === 1004)?.deleted).toBe(true);
    expect(tickets.find((t) => t.id === 1005)?.spam).toBe(true);
    expect(tickets.find((t) => t.id === 1013)?.subject).toBe('New after the first pull');
    expect((await records(state, 'fd.conversations')).find((c) => c.id === 900001)?.ticket_id).toBe(1003);
    expect((await records(state, 'fd.conversations')).some((c) => c.ticket_id === 1004)).toBe(true);
    expect((await records(state, 'fd.contacts')).find((c) => c.id === 5008)?.name).toBe('Hal Kim-Li');
    // The default listing starts at the largest updated_at of the last one.
    const q = new URLSearchParams(emu.requests().slice(r0).find((r) => r.operation === 'tickets.list')!.query);
    expect(q.get('updated_since')).toBe('2023-03-21T15:09:00Z'); // ticket 1010's (spam and deleted ones are not in the default listing)
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    await stoppedPullsResume(pull, [1, 2, 4, 9, 15], { dump: (state) => dump(state, (json) => json.replace(/expires=\d+&signature=\w+/g, '')) });
  });

  test('429, 503 and connection resets are retried; the pull completes', async () => {
    await injectFaults(emu, [
      { operation: 'tickets.list', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'ticket.conversations', action: 'status:503', every: 3, times: 2 },
      { operation: 'contacts.list', action: 'reset', times: 1 },
      { operation: 'agents.list', action: 'status:502', times: 1 },
    ]);
    const state = open();
    const http = await pull(state);
    expect(http.rateLimited).toBe(1);
    expect((await records(state, 'fd.conversations')).length).toBe(seed.conversations!.filter((c) => c.ticket_id !== 1012).length);
    expect((await records(state, 'fd.contacts')).length).toBe(8);
    expect((await records(state, 'fd.agents')).length).toBe(4);
    await state.close();
  });

  test('a refused key stops the pull with HTTP 401, names connections.<name>.auth, and the key appears nowhere', async () => {
    const state = open();
    const key = 'wrong-key-5f1c9a';
    const err = await pullLiveError(connection(key), SOURCES, state);
    expect(err.message).toMatch(/pulling from connection "fd" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/\w+: HTTP 401 You have to be logged in to perform this action\.: invalid_credentials/);
    expect(err.hint).toMatch(/check connections\.fd\.auth/);
    const base64 = Buffer.from(`${key}:X`).toString('base64');
    expect(JSON.stringify({ m: err.message, h: err.hint })).not.toContain(key);
    expect(err.message).not.toContain(base64);
    for (const s of await state.snapshot.streams()) expect(s.records).toBe(0);
    await state.close();
  });

  test('the list limit is the plan\'s share of the account limit (§2 Rate limits)', () => {
    expect([200, 400, 700, 50].map(listPerMinute)).toEqual([20, 100, 200, 5]);
  });
});

describe('an account of more than 300 pages', () => {
  test('is pulled whole: after page 300 the window moves forward to the largest updated_at seen; page 301 is never asked', async () => {
    await emu.close();
    // 30,250 tickets: 303 pages of 100, in 250 distinct seconds' worth of updated_at (121 tickets a second).
    const base = Date.UTC(2022, 0, 1);
    const tickets = Array.from({ length: 30_250 }, (_, i) => {
      const at = new Date(base + Math.floor(i / 121) * 1000).toISOString().replace('.000Z', 'Z');
      return { id: i + 1, subject: `t${i + 1}`, status: 2, priority: 1, requester_id: 1, description: 'x', created_at: at, updated_at: at };
    });
    emu = await startFreshdeskEmulator({ seed: { tickets, contacts: [], agents: [], conversations: [] }, requestsPerMinute: 0, listPerMinute: 0 });
    const state = open();
    await pull(state, { sources: [source('tickets', 'tickets')] });
    const got = await state.snapshot.stream('fd.tickets');
    expect(got).toMatchObject({ records: 30_250, complete: true });
    const pages = emu.requests().filter((r) => r.operation === 'tickets.list').map((r) => new URLSearchParams(r.query));
    expect(pages.every((q) => Number(q.get('page')) <= 300)).toBe(true);
    expect(emu.requests().every((r) => r.status === 200)).toBe(true);
    const windows = pages.filter((q) => q.get('filter') === null && q.get('page') === '1').map((q) => q.get('updated_since'));
    expect(windows.length).toBe(2);
    expect(windows[1]).toBe(new Date(base + 247 * 1000).toISOString().replace('.000Z', 'Z'));
    await state.close();
  }, 120_000);

  test('a 400 for a page past the cap (a lower cap than the adapter knows) moves the window too', async () => {
    // The emulator's real cap is 300; a pull resumed at page 301 (a cursor from elsewhere) meets the 400 and recovers.
    await emu.close();
    const base = Date.UTC(2022, 0, 1);
    const tickets = Array.from({ length: 30_150 }, (_, i) => {
      const at = new Date(base + Math.floor(i / 100) * 1000).toISOString().replace('.000Z', 'Z');
      return { id: i + 1, subject: `t${i + 1}`, status: 2, created_at: at, updated_at: at };
    });
    emu = await startFreshdeskEmulator({ seed: { tickets, contacts: [], agents: [], conversations: [] }, requestsPerMinute: 0, listPerMinute: 0 });
    const state = open();
    await state.snapshot.commit('fd.tickets', [], { all: '1970-01-01T00:00:00Z', listing: 'all', since: '1970-01-01T00:00:00Z', page: 301, max: new Date(base + 299 * 1000).toISOString().replace('.000Z', 'Z') });
    await pull(state, { sources: [source('tickets', 'tickets')] });
    const statuses = emu.requests().map((r) => r.status);
    expect(statuses[0]).toBe(400);
    expect(await state.snapshot.stream('fd.tickets')).toMatchObject({ complete: true });
    // From the window at second 299: its 100 tickets and the 150 after it.
    expect((await state.snapshot.stream('fd.tickets'))!.records).toBe(250);
    await state.close();
  }, 60_000);
});
