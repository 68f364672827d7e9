/**
 * The Front adapter against the strict Front emulator (in process): a full pull equals the seed (trashed
 * conversations kept with status "deleted"; messages and comments with conversation_id); an incremental pull
 * reads only the events feed (15 a page) and the changed conversations' messages and comments; pagination
 * links on the company host are re-based onto the connection's origin (the token never goes there); a merged
 * conversation is kept with merged_into and a pull note; 429 (burst and budget), 5xx and resets are retried;
 * a pull stopped at any page resumes to the same snapshot; a 401 names the connection's auth, never the token.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadFrontSeed, startFrontEmulator, type FrontEmulator, type FrontSeed } from '../../../src/emulators/front/index.js';
import type { ConnectionDecl } from '../../../src/manifest/types.js';
import { frontKind } from '../../../src/sources/front/index.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { StateStore } from '../../../src/state/types.js';
import { connectionDecl, injectFaults, liveSource, memoryState as open, operations, pullKind, pullLiveError, records as streamRecords, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const SEED_DIR = join(import.meta.dirname, '../../../examples/front-api/seed');
const TOKEN = 'front-test-token-5f1e';
let seed: FrontSeed;
let emu: FrontEmulator;
beforeEach(async () => {
  seed = await loadFrontSeed(SEED_DIR);
  emu = await startFrontEmulator({ seed, token: TOKEN, requestsPerMinute: 0, burstPerSecond: 0 });
});
afterEach(async () => {
  await emu.close();
});

const STREAMS = ['conversations', 'messages', 'comments', 'contacts', 'teammates', 'tags', 'inboxes'];
function connection(o: { token?: string; baseUrl?: string } = {}): ConnectionDecl {
  return connectionDecl('fr', 'front', o.baseUrl ?? emu.url, { token: o.token ?? TOKEN }, { requestsPerMinute: 100_000 });
}
const source = (stream: string) => liveSource('front', 'fr', stream, stream);

function pull(state: StateStore, o: PullOpts & { token?: string; baseUrl?: string } = {}) {
  const conn = connection(o);
  return pullKind(frontKind, conn, STREAMS.map(source), state, { ...o, secrets: [conn.auth['token']!] });
}
const records = (state: StateStore, stream: string) => streamRecords(state, `fr.${stream}`);
const ops = (from = 0) => operations(emu, from);
const strip = ({ conversation_id: _c, local_path: _l, ...r }: Record<string, any>) => r;

describe('front pull', () => {
  test('a full pull holds every conversation (trashed with status "deleted"), message and comment (with conversation_id), contact, teammate, tag and inbox', async () => {
    const state = open();
    await pull(state);
    const convs = await records(state, 'conversations');
    expect(convs.map((c) => c.id).sort()).toEqual(seed.conversations!.map((c) => c.id).sort());
    expect(convs.find((c) => c.id === 'cnv_c5')).toMatchObject({ status: 'deleted' });
    expect(await state.snapshot.stream('fr.conversations')).toMatchObject({ complete: true, deleted: 1 });
    for (const c of convs) expect({ ...c, _links: undefined }).toEqual({ ...seed.conversations!.find((s) => s.id === c.id), _links: undefined });
    const msgs = await records(state, 'messages');
    expect(msgs.map((m) => [m.id, m.conversation_id]).sort()).toEqual(seed.messages!.map((m) => [m.id, m.conversation_id]).sort());
    // Oldest first within a conversation (sort_order=asc; Front's default is newest first).
    expect(msgs.filter((m) => m.conversation_id === 'cnv_c1').map((m) => m.id)).toEqual(['msg_m1', 'msg_m2', 'msg_m3']);
    const m1 = msgs.find((m) => m.id === 'msg_m1')!;
    expect(m1.attachments[0]).toMatchObject({ id: 'fil_inv42', url: `${emu.companyUrl}/download/fil_inv42` });
    expect(m1.attachments[0].local_path).toBeUndefined();
    // baseUrl 127.0.0.1, attachments on the company host: the record says it is fetched without the token.
    expect(m1.pull_notes[0]).toMatch(/fetched without the API token/);
    const coms = await records(state, 'comments');
    expect(coms.map((c) => [c.id, c.conversation_id]).sort()).toEqual(seed.comments!.map((c) => [c.id, c.conversation_id]).sort());
    expect((await records(state, 'contacts')).map(strip).sort((a, b) => a.id.localeCompare(b.id))).toEqual(seed.contacts!.map(strip).sort((a, b) => String(a.id).localeCompare(String(b.id))).map((c) => ({ _links: { self: `${emu.companyUrl}/contacts/${String(c.id)}` }, ...c })));
    expect((await records(state, 'teammates')).length).toBe(3);
    expect((await records(state, 'tags')).length).toBe(3);
    expect((await records(state, 'inboxes')).length).toBe(1);
    // The token went to the connection's origin only: never to the company host of the links.
    for (const r of emu.requests()) expect(r.host.startsWith('localhost') && r.authorized).toBe(false);
    await state.close();
  });

  test('with baseUrl on the company host the attachment needs no note; every link is followed there', async () => {
    const state = open();
    await pull(state, { baseUrl: emu.companyUrl });
    expect((await records(state, 'messages')).find((m) => m.id === 'msg_m1')!.pull_notes).toBeUndefined();
    await state.close();
  });

  test('the next pull reads only the events since the last one (15 a page) and the changed conversations', async () => {
    const state = open();
    await pull(state);
    const r0 = emu.requests().length;
    await pull(state);
    expect(ops(r0)).toEqual({ 'events.list': 1, 'contacts.list': 1, 'teammates.list': 1, 'tags.list': 1, 'inboxes.list': 1 });
    // 20 conversations change: 20 events, two pages of 15.
    const many = Array.from({ length: 20 }, (_, i) => ({ id: `cnv_n${i}`, subject: `New ${i}`, status: 'unassigned', recipient: { handle: `n${i}@example.com`, name: `N ${i}`, role: 'from' } }));
    emu.account.change({ conversations: many, messages: [{ conversation_id: 'cnv_c3', body: '<p>And SAML?</p>', is_inbound: true }], comments: [{ conversation_id: 'cnv_c3', body: 'Ask sales', author: { id: 'tea_a1', email: 'sara@acme.com' } }], trashConversations: ['cnv_c4'] });
    const r1 = emu.requests().length;
    await pull(state);
    const asked = ops(r1);
    // 23 events (20 new, the message and the comment on cnv_c3, the trash of cnv_c4): two pages of 15.
    expect(asked['events.list']).toBe(2);
    expect(asked['conversations.list']).toBeUndefined();
    // cnv_c3, cnv_c4 and the 20 new ones.
    expect(asked['conversation.messages']).toBe(22);
    expect(asked['conversation.comments']).toBe(22);
    for (const r of emu.requests().slice(r1).filter((x) => x.operation === 'events.list')) {
      const q = new URLSearchParams(r.query);
      expect(q.get('limit')).toBe('15');
      expect(q.get('sort_order')).toBe('asc');
    }
    expect((await records(state, 'conversations')).find((c) => c.id === 'cnv_c4')!.status).toBe('deleted');
    expect((await records(state, 'messages')).filter((m) => m.conversation_id === 'cnv_c3').length).toBe(2);
    expect((await records(state, 'comments')).find((c) => c.conversation_id === 'cnv_c3')!.body).toBe('Ask sales');
    await state.close();
  });

  test('a merged conversation is kept with merged_into and a pull note; its 301 is not an error', async () => {
    const state = open();
    await pull(state);
    emu.account.change({ mergeConversations: [{ from: 'cnv_c3', into: 'cnv_c1' }] });
    const events: PullEvent[] = [];
    await pull(state, { events });
    const c3 = (await records(state, 'conversations')).find((c) => c.id === 'cnv_c3')!;
    expect(c3.merged_into).toBe('cnv_c1');
    expect(c3.pull_notes[0]).toMatch(/merged into cnv_c1/);
    expect(events.some((e) => e.type === 'note' && /cnv_c3/.test(e.message))).toBe(true);
    expect((await records(state, 'messages')).find((m) => m.id === 'msg_m7')!.conversation_id).toBe('cnv_c1');
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    await stoppedPullsResume(pull, [1, 2, 3, 5, 8, 12]);
  });

  test('burst 429s (remaining > 0), budget 429s, 5xx and resets are retried; the pull completes', async () => {
    emu.configure({ burstPerSecond: 3 });
    await injectFaults(emu, [
      { operation: 'conversations.list', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'conversation.comments', action: 'status:503', every: 2, times: 2 },
      { operation: 'events.list', action: 'reset', times: 1 },
      { operation: 'contacts.list', action: 'status:502', times: 1 },
    ]);
    const state = open();
    const http = await pull(state);
    expect(http.rateLimited).toBeGreaterThanOrEqual(1);
    expect(emu.requests().some((r) => r.status === 429 && r.operation === 'conversation.messages')).toBe(true);
    expect((await records(state, 'comments')).length).toBe(seed.comments!.length);
    expect((await records(state, 'messages')).length).toBe(seed.messages!.length);
    await state.close();
  }, 30_000);

  test('a refused token stops the pull, names connections.<name>.auth and never shows the token', async () => {
    const state = open();
    const err = await pullLiveError(connection({ token: 'wrong-token-123456' }), STREAMS.map(source), state);
    expect(err).toBeInstanceOf(Error);
    const text = `${err!.message} ${String(err!.hint)}`;
    expect(text).toMatch(/HTTP 401/);
    expect(text).toMatch(/connections\.fr\.auth/);
    expect(text).not.toContain('wrong-token-123456');
    await state.close();
  });
});
