/**
 * The HelpSpot adapter against the strict HelpSpot emulator (in process): a full pull equals the
 * installation it was seeded from (trashed and spam requests with their flags, history with xRequest); an
 * incremental pull asks getChanged from the last pull's second and fetches each changed request once, however
 * many times getChanged lists it; merged and purged requests are kept with a note; a stopped pull resumes to
 * the same snapshot; 429, 5xx and resets are retried; refused credentials (HelpSpot's HTTP 400) stop the pull
 * naming the connection's auth, and appear nowhere.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadHelpSpotSeed, startHelpSpotEmulator, type HelpSpotEmulator, type HelpSpotSeed } from '../../../src/emulators/helpspot/index.js';
import type { ConnectionDecl } from '../../../src/manifest/types.js';
import { helpspotKind } from '../../../src/sources/helpspot/index.js';
import { changedIds } from '../../../src/sources/helpspot/requests.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { StateStore } from '../../../src/state/types.js';
import { connectionDecl, injectFaults, liveSource, memoryState as open, operations, pullKind, pullLiveError, records, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const SEED_DIR = join(import.meta.dirname, '../../../examples/helpspot-api/seed');
const TOKEN = 'hs-emulator-token';
let seed: HelpSpotSeed;
let emu: HelpSpotEmulator;
let clock: number;
beforeEach(async () => {
  seed = await loadHelpSpotSeed(SEED_DIR);
  clock = Date.UTC(2024, 0, 1);
  emu = await startHelpSpotEmulator({ seed, now: () => clock });
});
afterEach(async () => {
  await emu.close();
});

function connection(auth: Record<string, string> = { token: TOKEN }): ConnectionDecl {
  return connectionDecl('hs', 'helpspot', emu.url, auth, { requestsPerMinute: 100_000 });
}
const source = (name: string, stream: string) => liveSource('helpspot', 'hs', name, stream);
const SOURCES = [source('requests', 'requests'), source('history', 'request_history'), source('staff', 'staff'), source('categories', 'categories'), source('statuses', 'statuses')];

function pull(state: StateStore, o: PullOpts & { auth?: Record<string, string> } = {}) {
  const conn = connection(o.auth);
  return pullKind(helpspotKind, conn, SOURCES, state, { ...o, now: () => clock, secrets: Object.values(conn.auth) });
}
const ops = (from = 0) => operations(emu, from);
const requests_of = (rs: Array<Record<string, any>>, id: number) => rs.find((r) => r.xRequest === id);
const history = (r: Record<string, unknown>) => (r.request_history as { item: Array<Record<string, any>> }).item;

describe('helpspot pull', () => {
  test('a full pull holds every request (trashed and spam ones flagged), every history row with xRequest, staff, categories and statuses; one get per request', async () => {
    const state = open();
    await pull(state);
    const requests = await records(state, 'hs.requests');
    expect(requests.map((r) => r.xRequest).sort()).toEqual(seed.requests!.map((r) => r.xRequest).sort());
    for (const r of requests) {
      const { request_history: _h, ...fields } = seed.requests!.find((s) => s.xRequest === r.xRequest)!;
      expect(r).toMatchObject(fields);
      expect(r.request_history).toBeUndefined();
    }
    expect(requests.find((r) => r.xRequest === 12007)).toMatchObject({ fTrash: 1, deleted: true, spam: false });
    expect(requests.find((r) => r.xRequest === 12008)).toMatchObject({ xStatus: 2, spam: true, deleted: false });
    expect(await state.snapshot.stream('hs.requests')).toMatchObject({ complete: true, deleted: 1 });
    const rows = await records(state, 'hs.request_history');
    const want = seed.requests!.flatMap((r) => history(r).map((h) => [h.xRequestHistory, r.xRequest]));
    expect(rows.map((h) => [h.xRequestHistory, h.xRequest]).sort()).toEqual(want.sort());
    const file = rows.find((h) => h.xRequestHistory === 90002)!.files.file[0];
    expect(file.private_url).toBe(`${emu.url}/admin.php?pg=file&from=0&id=7001`);
    expect(file.local_path).toBeUndefined();
    expect((await records(state, 'hs.staff')).map((s) => s.sEmail)).toEqual(['sara@acme.com', 'tom@acme.com', 'priya@acme.com', 'leo@acme.com']);
    expect((await records(state, 'hs.categories')).length).toBe(3);
    expect((await records(state, 'hs.statuses')).find((s) => s.xStatus === 2)?.sStatus).toBe('Spam');
    // getChanged once (from 1: every request has its initial note), then one get per request, however many rows each has.
    expect(ops()).toEqual({ 'private.request.getChanged': 1, 'private.request.get': 10, 'private.util.getAllStaff': 1, 'private.request.getCategories': 1, 'private.request.getStatusTypes': 1 });
    const q = emu.requests().map((r) => new URLSearchParams(r.query));
    expect(Object.fromEntries(q.find((x) => x.get('method') === 'private.request.getChanged')!)).toEqual({ method: 'private.request.getChanged', output: 'json', dtGMTChange: '1' });
    for (const g of q.filter((x) => x.get('method') === 'private.request.get')) expect(g.get('fRawValues')).toBe('1');
    await state.close();
  });

  test('the next pull asks getChanged from the last pull\'s second and fetches each changed request once (duplicates de-duplicated)', async () => {
    const state = open();
    await pull(state);
    clock += 60_000;
    emu.account.change({
      requests: [{ xRequest: 12002, fOpen: 1, xStatus: 1 }, { xRequest: 12011, sTitle: 'New after the first pull', sFirstName: 'Jo', sLastName: 'Jay', sEmail: 'jo@example.com', tNote: 'hello' }],
      notes: [{ xRequest: 12003, tNote: 'still broken', xPerson: 0 }, { xRequest: 12003, tNote: 'any news?', xPerson: 0 }],
      trashRequests: [12004],
      spamRequests: [12005],
    });
    clock += 1000; // the next pull is a second later (changes in the pull's own second are asked again next time)
    const changed = emu.store.changedSince(Math.floor(Date.UTC(2024, 0, 1) / 1000) - 1);
    expect(changed.filter((id) => id === 12003).length).toBe(2); // getChanged lists 12003 twice
    const r0 = emu.requests().length;
    const events: PullEvent[] = [];
    await pull(state, { events });
    const after = ops(r0);
    expect(after['private.request.getChanged']).toBe(1);
    expect(after['private.request.get']).toBe(5); // 12002, 12003 (once), 12004, 12005, 12011
    const q = new URLSearchParams(emu.requests().slice(r0).find((r) => r.operation === 'private.request.getChanged')!.query);
    expect(q.get('dtGMTChange')).toBe(String(Math.floor(Date.UTC(2024, 0, 1) / 1000) - 1));
    expect(events.some((e) => e.type === 'note' && /getChanged listed 6 ids for 5 requests/.test(e.message))).toBe(true);
    const requests = await records(state, 'hs.requests');
    expect(requests.find((r) => r.xRequest === 12002)?.fOpen).toBe(1);
    expect(requests.find((r) => r.xRequest === 12004)?.deleted).toBe(true);
    expect(requests.find((r) => r.xRequest === 12005)?.spam).toBe(true);
    expect(requests.find((r) => r.xRequest === 12011)?.sTitle).toBe('New after the first pull');
    expect((await records(state, 'hs.request_history')).filter((h) => h.xRequest === 12003 && /still broken|any news/.test(h.tNote)).length).toBe(2);
    // Nothing changed: getChanged answers nothing new, no get.
    clock += 60_000;
    const r1 = emu.requests().length;
    await pull(state);
    expect(ops(r1)['private.request.get']).toBeUndefined();
    await state.close();
  });

  test('merged and purged requests are kept with deleted: true and a note saying what HelpSpot no longer gives', async () => {
    const state = open();
    await pull(state);
    clock += 60_000;
    emu.account.change({ mergeRequests: [[12004, 12006]], purgeRequests: [12010] });
    // A request purged between getChanged and get (error 103): its history row is still listed, the request is gone.
    emu.store.history.push({ xRequestHistory: 99_999, xRequest: 12010, dtGMTChange: Math.floor(clock / 1000), xPerson: -1, tNote: '', tLog: '' });
    clock += 1000;
    await pull(state);
    expect(requests_of(await records(state, 'hs.requests'), 12010)).toMatchObject({ deleted: true, purged: true, pull_notes: [expect.stringMatching(/no longer has request 12010 \(error 103/)] });
    const requests = await records(state, 'hs.requests');
    expect(requests.find((r) => r.xRequest === 12004)).toMatchObject({ deleted: true, merged_into: 12006, pull_notes: [expect.stringMatching(/merged into request 12006/)] });
    expect(requests.find((r) => r.xRequest === 12006)?.pull_notes).toEqual([expect.stringMatching(/holds the history of merged request 12004/)]);
    expect((await records(state, 'hs.request_history')).filter((h) => h.fMergedFromRequest === 12004).every((h) => h.xRequest === 12006)).toBe(true);
    expect((await state.snapshot.get('hs.requests', '12004'))?.deleted).toBe(true);
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    await stoppedPullsResume(pull, [1, 2, 3, 4, 5, 6]);
  });

  test('429, 503 and connection resets are retried; the pull completes', async () => {
    await injectFaults(emu, [
      { operation: 'private.request.getChanged', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'private.request.get', action: 'status:503', every: 3, times: 2 },
      { operation: 'private.request.get', action: 'reset', every: 4, times: 1 },
      { operation: 'private.util.getAllStaff', action: 'status:502', times: 1 },
    ]);
    const state = open();
    const http = await pull(state);
    expect(http.rateLimited).toBe(1);
    expect((await records(state, 'hs.requests')).length).toBe(10);
    expect((await records(state, 'hs.staff')).length).toBe(4);
    await state.close();
  });

  test.each([
    ['a token', { token: 'wrong-token-5f1c9a' }],
    ['a staff login', { email: 'admin@acme.test', password: 'wrong-password-77ab' }],
  ])('refused credentials (%s: HelpSpot answers HTTP 400, error 2) stop the pull, name connections.<name>.auth, and appear nowhere', async (_what, auth) => {
    const state = open();
    const err = await pullLiveError(connection(auth), SOURCES, state);
    expect(err.message).toMatch(/pulling from connection "hs" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/index\.php\?method=private\.util\.getAllStaff: HTTP 400 HelpSpot error 2: User authentication failed/);
    expect(err.hint).toMatch(/check connections\.hs\.auth/);
    const secret = Object.values(auth).at(-1)!;
    const basic = Buffer.from(`${auth.email}:${auth.password}`).toString('base64');
    expect(JSON.stringify({ m: err.message, h: err.hint })).not.toContain(secret);
    expect(err.message).not.toContain(basic);
    for (const s of await state.snapshot.streams()) expect(s.records).toBe(0);
    await state.close();
  });

  test('a staff login (Basic) is accepted too', async () => {
    const state = open();
    await pull(state, { auth: { email: 'admin@acme.test', password: 'hs-emulator-password' } });
    expect((await records(state, 'hs.requests')).length).toBe(10);
    await state.close();
  });

  test('changedIds de-duplicates and sorts whatever form getChanged takes', () => {
    expect(changedIds({ xRequest: [130, 123, 123, '125'] })).toEqual([123, 125, 130]);
    expect(changedIds({ xRequest: 7 })).toEqual([7]);
    expect(changedIds({ xRequest: { a: 3, b: 3 } })).toEqual([3]);
    expect(changedIds([])).toEqual([]);
  });
});
