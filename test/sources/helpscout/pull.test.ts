/**
 * The Help Scout adapter against the strict Help Scout emulator (in process): a full pull equals the seed;
 * an incremental pull asks only for what changed; a token that expires mid-pull is renewed; 429, 5xx and
 * resets are retried; a pull stopped at any page resumes to the same snapshot; a refused client secret
 * names the connection's auth; neither the secret nor a token appears in an error.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadHelpScoutSeed, startHelpScoutEmulator, type HelpScoutEmulator } from '../../../src/emulators/helpscout/index.js';
import { HttpSourceClient, HttpSourceError } from '../../../src/http/client.js';
import type { ConnectionDecl, LiveSourceDecl } from '../../../src/manifest/types.js';
import { helpscoutKind } from '../../../src/sources/helpscout/index.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { StateStore } from '../../../src/state/types.js';
import { connectionDecl, injectFaults, liveSource, memoryState as open, operations, pullKind, pullLiveError, records, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const SEED = join(import.meta.dirname, '../../../examples/helpscout-api/seed');
const SECRET = 'hs-emulator-secret';
const jsonl = (f: string) =>
  readFileSync(join(SEED, f), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, any>);

let emu: HelpScoutEmulator;
beforeEach(async () => {
  emu = await startHelpScoutEmulator({ seed: await loadHelpScoutSeed(SEED), requestsPerMinute: 0 });
});
afterEach(async () => {
  await emu.close();
});

function connection(secret = SECRET): ConnectionDecl {
  return connectionDecl('hs', 'helpscout', emu.url, { clientId: 'hs-emulator-app', clientSecret: secret });
}
const source = (name: string, stream: string) => liveSource('helpscout', 'hs', name, stream);
const SOURCES = [source('conversations', 'conversations'), source('threads', 'conversation_threads'), source('customers', 'customers'), source('users', 'users'), source('mailboxes', 'mailboxes')];

function pull(state: StateStore, o: PullOpts & { secret?: string; sources?: LiveSourceDecl[] } = {}) {
  const conn = connection(o.secret);
  return pullKind(helpscoutKind, conn, o.sources ?? SOURCES, state, { ...o, headers: {}, secrets: Object.values(conn.auth) });
}
const ops = (from = 0) => operations(emu, from);

describe('helpscout pull', () => {
  test('a full pull holds every conversation of every status (the deleted one with its state), every thread newest first with conversation_id, customers, users, mailboxes', async () => {
    const state = open();
    await pull(state);
    const seeded = jsonl('conversations.jsonl');
    const convs = await records(state, 'hs.conversations');
    expect(convs.map((c) => [c.id, c.status, c.state]).sort()).toEqual(seeded.map((c) => [c.id, c.status, c.state]).sort());
    expect(await state.snapshot.stream('hs.conversations')).toMatchObject({ complete: true, deleted: 1 });
    const { _embedded: _e, ...first } = seeded.find((c) => c.id === 402)!;
    expect(convs.find((c) => c.id === 402)).toMatchObject(first);
    const threads = await records(state, 'hs.conversation_threads');
    // Every thread of every conversation but the deleted one, in the API's order (newest first) per conversation.
    const want = seeded.filter((c) => c.state !== 'deleted').flatMap((c) => (c._embedded.threads as Array<Record<string, any>>).map((t) => [c.id, t.id, t.createdAt]));
    expect(threads.map((t) => [t.conversation_id, t.id, t.createdAt]).sort()).toEqual(want.sort());
    for (const c of seeded.filter((x) => x.state !== 'deleted')) {
      const mine = threads.filter((t) => t.conversation_id === c.id).map((t) => t.createdAt);
      expect(mine).toEqual([...mine].sort().reverse());
    }
    expect((await records(state, 'hs.customers')).map((c) => c.id).sort()).toEqual(jsonl('customers.jsonl').map((c) => c.id).sort());
    expect((await records(state, 'hs.users')).map((u) => u.email)).toEqual(jsonl('users.jsonl').map((u) => u.email));
    expect((await records(state, 'hs.mailboxes')).map((m) => m.id)).toEqual([1]);
    // status=all, sorted by modifiedAt; one token.
    const list = emu.requests().find((r) => r.operation === 'conversations.list')!;
    expect(new URLSearchParams(list.query).get('status')).toBe('all');
    expect(new URLSearchParams(list.query).get('sortField')).toBe('modifiedAt');
    expect(ops()['oauth2.token']).toBe(1);
    expect(ops()['threads.list']).toBe(4);
    await state.close();
  });

  test('the next pull asks only for what changed: one list page each, and the changed conversations\' threads', async () => {
    const state = open();
    await pull(state);
    emu.account.change({
      conversations: [{ id: 403, status: 'closed' }, { id: 500, subject: 'New after the first pull', primaryCustomer: { id: 201, email: 'dana@example.com' } }],
      threads: [
        { conversationId: 401, type: 'customer', body: '<p>any news?</p>', createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } },
        { conversationId: 500, type: 'customer', body: '<p>hello</p>', createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } },
      ],
      customers: [{ id: 202, firstName: 'Elias' }],
      deleteConversations: [402],
    });
    const r0 = emu.requests().length;
    await pull(state);
    const asked = ops(r0);
    // 401, 403 and 500 changed; 402 was deleted (its threads stay as pulled).
    expect(asked['threads.list']).toBe(3);
    expect(asked['conversations.list']).toBe(1);
    expect(asked['customers.list']).toBe(1);
    const modified = emu.requests().slice(r0).find((r) => r.operation === 'conversations.list')!;
    expect(new URLSearchParams(modified.query).get('modifiedSince')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const convs = await records(state, 'hs.conversations');
    expect(convs.find((c) => c.id === 403)?.status).toBe('closed');
    expect(convs.find((c) => c.id === 402)?.state).toBe('deleted');
    expect(convs.find((c) => c.id === 500)?.subject).toBe('New after the first pull');
    const threads = await records(state, 'hs.conversation_threads');
    expect(threads.filter((t) => t.conversation_id === 402)).toHaveLength(3);
    expect(threads.find((t) => t.body === '<p>any news?</p>')?.conversation_id).toBe(401);
    expect((await records(state, 'hs.customers')).find((c) => c.id === 202)?.firstName).toBe('Elias');
    // Nothing changed since: no thread list.
    const r1 = emu.requests().length;
    await pull(state);
    expect(ops(r1)['threads.list'] ?? 0).toBeLessThanOrEqual(3);
    await state.close();
  });

  test('a token revoked mid-pull (401) is renewed once and the pull completes', async () => {
    const state = open();
    let pages = 0;
    const events = { push: (e: PullEvent) => (e.type === 'page' && ++pages === 3 ? emu.expireTokens() : undefined) } as unknown as PullEvent[];
    await pull(state, { events });
    expect(ops()['oauth2.token']).toBe(2);
    expect(emu.requests().some((r) => r.status === 401)).toBe(true);
    expect(await records(state, 'hs.conversation_threads')).toHaveLength(10);
    await state.close();
  });

  test('a token about to expire is renewed before it is sent (no 401)', async () => {
    await emu.close();
    emu = await startHelpScoutEmulator({ seed: await loadHelpScoutSeed(SEED), requestsPerMinute: 0, tokenTtlSeconds: 600 });
    const state = open();
    // The adapter's clock runs 10 minutes a call: every token is old by the next request.
    let t = Date.now();
    await pull(state, { now: () => (t += 0) && t, sources: [source('users', 'users')] });
    expect(ops()['oauth2.token']).toBe(1);
    let clock = Date.now();
    const fast = () => (clock += 100_000);
    await pull(state, { now: fast, sources: [source('conversations', 'conversations'), source('threads', 'conversation_threads')] });
    expect(ops()['oauth2.token']).toBeGreaterThan(2);
    expect(emu.requests().filter((r) => r.status === 401)).toHaveLength(0);
    await state.close();
  });

  test('429, 503 and connection resets are retried; the pull completes', async () => {
    await injectFaults(emu, [
      { operation: 'conversations.list', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'threads.list', action: 'status:503', every: 2, times: 2 },
      { operation: 'customers.list', action: 'reset', times: 1 },
      { operation: 'oauth2.token', action: 'status:502', times: 1 },
    ]);
    const state = open();
    const http = await pull(state);
    expect(http.rateLimited).toBe(1);
    expect(await records(state, 'hs.conversation_threads')).toHaveLength(10);
    expect(await records(state, 'hs.customers')).toHaveLength(3);
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    // More conversations than a page holds, so that conversations page too.
    const more = Array.from({ length: 40 }, (_, i) => ({ id: 600 + i, subject: `bulk ${i}` }));
    const threads = more.map((c) => ({ conversationId: c.id, type: 'customer', body: `<p>${c.subject}</p>`, createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } }));
    emu.account.change({ conversations: more, threads });
    await stoppedPullsResume(pull, [1, 2, 5, 20, 44]);
  });

  test('a refused client secret stops the pull with 401 naming the connection\'s auth; no secret or token in any error', async () => {
    const state = open();
    const err = await pull(state, { secret: 'wrong-secret-123' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpSourceError);
    expect((err as HttpSourceError).status).toBe(401);
    expect((err as Error).message).not.toContain('wrong-secret-123');
    expect(await state.snapshot.streams()).toEqual([]);
    const failed = await pullLiveError(connection('wrong-secret-123'), SOURCES, state);
    const text = `${(failed as Error).message} ${(failed as { hint?: string }).hint ?? ''}`;
    expect(text).toMatch(/connection "hs"/);
    expect(text).toMatch(/connections\.hs\.auth/);
    expect(text).not.toContain('wrong-secret-123');
    // A request that fails for good after a token was issued: the token is not in the error either.
    await injectFaults(emu, [{ operation: 'users.list', action: 'status:403' }]);
    const denied = await pull(state, { sources: [source('users', 'users')] }).catch((e: unknown) => e);
    expect((denied as HttpSourceError).status).toBe(403);
    for (const tok of emu.tokens()) expect(`${(denied as Error).message} ${(denied as HttpSourceError).detail}`).not.toContain(tok);
    expect((denied as Error).message).not.toContain(SECRET);
    await state.close();
  });

  test('a connection with `since` asks for conversations and customers modified since then only on the first pull', async () => {
    const state = open();
    const conn = { ...connection(), sinceMs: Date.UTC(2024, 3, 3) };
    const signal = new AbortController().signal;
    const http = new HttpSourceClient({ name: 'hs', baseUrl: emu.url, headers: {}, requestsPerMinute: 100_000, signal });
    await helpscoutKind.pull({ connection: conn, sources: [source('conversations', 'conversations')], http, snapshot: state.snapshot, emit: () => undefined, signal, env: {}, cwd: '.', now: Date.now });
    expect((await records(state, 'hs.conversations')).map((c) => c.id).sort()).toEqual([403, 404, 405]);
    const q = new URLSearchParams(emu.requests().find((r) => r.operation === 'conversations.list')!.query);
    expect(q.get('modifiedSince')).toBe('2024-04-03T00:00:00Z');
    await state.close();
  });
});
