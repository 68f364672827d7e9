/**
 * The Zendesk adapter against the strict Zendesk emulator (in process): a full pull equals the export it
 * was seeded from; an incremental pull asks only for what changed; a stopped pull resumes to the same
 * snapshot; 429, 503 and resets are retried; a 401 stops the pull with its status.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadZendeskSeed, startZendeskEmulator, type ZendeskEmulator } from '../../../src/emulators/zendesk/index.js';
import { HttpSourceClient, HttpSourceError } from '../../../src/http/client.js';
import type { ConnectionDecl, LiveSourceDecl } from '../../../src/manifest/types.js';
import { zendeskKind } from '../../../src/sources/zendesk/index.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import { PgStateStore } from '../../../src/state/postgres.js';
import type { StateStore } from '../../../src/state/types.js';
import { freshDatabase } from '../../helpers/pg.js';
import { connectionDecl, dump, injectFaults, liveSource, memoryState as open, operations, pullKind, records, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const EXPORT_DIR = join(import.meta.dirname, '../../../examples/quickstart/export');
const TOKEN = 'zd-emulator-token';
const jsonl = (f: string) =>
  readFileSync(join(EXPORT_DIR, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, any>);

let emu: ZendeskEmulator;
beforeEach(async () => {
  emu = await startZendeskEmulator({ seed: await loadZendeskSeed(EXPORT_DIR), hideLastSeconds: 0, minStartTimeLagSeconds: 0, incrementalPerMinute: 0 });
});
afterEach(async () => {
  await emu.close();
});

function connection(token = TOKEN): ConnectionDecl {
  return connectionDecl('zd', 'zendesk', emu.url, { email: 'admin@acme.test', token });
}

const source = (name: string, stream: string, options: Record<string, unknown> = {}) => liveSource('zendesk', 'zd', name, stream, options);

const SOURCES = [source('tickets', 'tickets'), source('users', 'users'), source('comments', 'ticket_comments')];

function pull(state: StateStore, o: PullOpts & { token?: string; sources?: LiveSourceDecl[] } = {}) {
  return pullKind(zendeskKind, connection(o.token), o.sources ?? SOURCES, state, o);
}

const requestsBy = async () => operations(emu);

describe('zendesk pull', () => {
  test('a full pull holds every ticket (the deleted one with its status), user and comment of the export, comments with ticket_id', async () => {
    const state = open();
    await pull(state);
    const tickets = await records(state, 'zd.tickets');
    const exported = jsonl('tickets.jsonl');
    expect(tickets.map((t) => t.id).sort()).toEqual(exported.map((t) => t.id).sort());
    expect(tickets.find((t) => t.id === 117)?.status).toBe('deleted');
    expect(await state.snapshot.stream('zd.tickets')).toMatchObject({ complete: true, deleted: 1 });
    expect((await records(state, 'zd.users')).map((u) => u.id).sort()).toEqual(jsonl('users.jsonl').map((u) => u.id).sort());
    const comments = await records(state, 'zd.ticket_comments');
    const exportedComments = jsonl('comments.jsonl').filter((c) => c.ticket_id !== 117);
    expect(comments.map((c) => [c.id, c.ticket_id]).sort()).toEqual(exportedComments.map((c) => [c.id, c.ticket_id]).sort());
    // The export's fields, unchanged (local_path is the export script's; content_url points at the account).
    const c5017 = comments.find((c) => c.id === 5017)!;
    const e5017 = exportedComments.find((c) => c.id === 5017)!;
    expect(c5017.html_body).toBe(e5017.html_body);
    expect(c5017.attachments[0].file_name).toBe('screenshot.png');
    expect(c5017.attachments[0].content_url).toMatch(new RegExp(`^${emu.url}/attachments/token/`));
    await state.close();
  });

  test('the next pull asks only for what changed: the export pages and the changed tickets\' comments', async () => {
    const state = open();
    await pull(state);
    const before = await requestsBy();
    expect(before['ticket.comments']).toBe(39); // every ticket but the deleted one
    emu.account.change({
      tickets: [
        { id: 9001, subject: 'New after the first pull', status: 'new', requester_id: 1001, created_at: '2025-07-01T00:00:00Z', tags: [] },
        { id: 102, status: 'closed' },
      ],
      comments: [{ id: 990001, ticket_id: 103, type: 'Comment', author_id: 1003, public: true, html_body: '<p>One more thing</p>', created_at: '2025-07-01T00:00:00Z' }],
      deleteTickets: [104],
    });
    const r0 = emu.requests().length;
    const events: PullEvent[] = [];
    await pull(state, { events });
    const after = operations(emu, r0);
    // 9001, 102 and 103 changed; 104 is deleted (its comments stay as pulled).
    expect(after['ticket.comments']).toBe(3);
    expect(after['incremental.tickets']).toBeLessThanOrEqual(2);
    expect((await records(state, 'zd.tickets')).find((t) => t.id === 102)?.status).toBe('closed');
    expect((await records(state, 'zd.tickets')).find((t) => t.id === 104)?.status).toBe('deleted');
    expect((await records(state, 'zd.ticket_comments')).find((c) => c.id === 990001)?.ticket_id).toBe(103);
    expect((await records(state, 'zd.ticket_comments')).some((c) => c.ticket_id === 104)).toBe(true);
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    await stoppedPullsResume(pull, [1, 3, 17, 40]);
  });

  test('429, 503 and connection resets are retried; the pull completes', async () => {
    await injectFaults(emu, [
      { operation: 'incremental.tickets', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'ticket.comments', action: 'status:503', every: 7, times: 3 },
      { operation: 'incremental.users', action: 'reset', times: 1 },
    ]);
    const state = open();
    const events: PullEvent[] = [];
    const http = await pull(state, { events });
    expect(http.rateLimited).toBe(1);
    expect((await records(state, 'zd.ticket_comments')).length).toBe(jsonl('comments.jsonl').filter((c) => c.ticket_id !== 117).length);
    await state.close();
  });

  test('a refused token stops the pull with HTTP 401, and nothing is committed for that page', async () => {
    const state = open();
    const err = await pull(state, { token: 'wrong-token' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect((err as HttpSourceError).status).toBe(401);
    expect((err as Error).message).not.toContain('wrong-token');
    expect(await state.snapshot.streams()).toEqual([]);
    await state.close();
  });

  test('method: events pulls the same comments (deleted tickets\' too) from the ticket events export, and only new events next time', async () => {
    const state = open();
    const sources = [source('comments', 'ticket_comments', { method: 'events' })];
    await pull(state, { sources });
    const comments = await records(state, 'zd.ticket_comments');
    const exported = jsonl('comments.jsonl');
    expect(comments.map((c) => [c.id, c.ticket_id]).sort()).toEqual(exported.map((c) => [c.id, c.ticket_id]).sort());
    const e5017 = exported.find((c) => c.id === 5017)!;
    expect(comments.find((c) => c.id === 5017)).toMatchObject({ html_body: e5017.html_body, public: true, author_id: e5017.author_id });
    expect(await state.snapshot.stream('zd.tickets')).toBeUndefined();
    const by = await requestsBy();
    expect(by['ticket.comments']).toBeUndefined();
    expect(by['incremental.ticket_events']).toBe(1);
    emu.account.change({ comments: [{ id: 990002, ticket_id: 101, type: 'Comment', author_id: 1001, public: false, html_body: '<p>note</p>', created_at: '2025-07-01T00:00:00Z' }] });
    await pull(state, { sources });
    expect((await records(state, 'zd.ticket_comments')).find((c) => c.id === 990002)?.ticket_id).toBe(101);
    expect((await records(state, 'zd.ticket_comments')).length).toBe(exported.length + 1);
    await state.close();
  });

  test('an OAuth token is sent as a Bearer token, and pulls as the API token does', async () => {
    const conn: ConnectionDecl = { name: 'zd', kind: 'zendesk', baseUrl: emu.url, auth: { oauthToken: 'zd-emulator-oauth' }, headers: {}, location: { file: 't' } };
    expect(zendeskKind.authHeaders!(conn)).toEqual({ authorization: 'Bearer zd-emulator-oauth' });
    const state = open();
    const signal = new AbortController().signal;
    const http = new HttpSourceClient({ name: 'zd', baseUrl: emu.url, headers: zendeskKind.authHeaders!(conn), requestsPerMinute: 100_000, signal });
    await zendeskKind.pull({ connection: conn, sources: [source('users', 'users')], http, snapshot: state.snapshot, emit: () => undefined, signal, env: {}, cwd: '.', now: Date.now });
    expect(await records(state, 'zd.users')).toHaveLength(jsonl('users.jsonl').length);
    await state.close();
  });
});

describe('zendesk pull into a PostgreSQL state', () => {
  /** A state in a fresh database, locked as `pull` locks it (its writes then go on the lock's connection). */
  async function pgState(url: string): Promise<StateStore & { done(): Promise<void> }> {
    const state = (await PgStateStore.open({ url, schema: 'plain_migrate', manifestName: 't', create: true }))!;
    const { runId } = await state.acquireLock('pull t');
    return Object.assign(state, { done: async () => (await state.releaseLock(runId, 'pulled', {}), await state.close()) });
  }

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull (the SQLite one)', async () => {
    const whole = open();
    await pull(whole);
    const expected = await dump(whole);
    await whole.close();
    for (const stopAfter of [1, 17]) {
      const url = await freshDatabase('zdpull');
      const first = await pgState(url);
      const ac = new AbortController();
      let pages = 0;
      const counting = { push: (e: PullEvent) => (e.type === 'page' && ++pages >= stopAfter ? ac.abort() : undefined) } as unknown as PullEvent[];
      await expect(pull(first, { signal: ac.signal, events: counting })).rejects.toThrow();
      await first.done();
      // Another process carries on from what the first committed.
      const second = await pgState(url);
      await pull(second);
      expect(await dump(second)).toEqual(expected);
      await second.done();
    }
  });

  test('the next pull asks only for the changed tickets\' comments', async () => {
    const state = await pgState(await freshDatabase('zdpull'));
    await pull(state);
    emu.account.change({ tickets: [{ id: 102, status: 'closed' }] });
    const r0 = emu.requests().length;
    await pull(state);
    const comments = (emu.requests() as Array<{ operation?: string }>).slice(r0).filter((r) => r.operation === 'ticket.comments');
    expect(comments).toHaveLength(1);
    expect((await records(state, 'zd.tickets')).find((t) => t.id === 102)?.status).toBe('closed');
    await state.done();
  });
});
