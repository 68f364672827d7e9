/**
 * The strict HelpSpot emulator (../shared/reference/source-apis.md §6, §8): XML unless output=json; JSON
 * without a root wrapper; 401 only when no credentials are sent, 400 with error 2 for wrong ones; getChanged's
 * duplicate ids (strict >); keyed objects from getAllStaff and getCategories; labels unless fRawValues=1;
 * merged ids answer with their target; search leaves trash and spam out; private_url needs the credentials;
 * X-HelpSpot-API on every answer; faults and the account-change hook.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadHelpSpotSeed, startHelpSpotEmulator, type HelpSpotEmulator, type HelpSpotSeed } from '../../../src/emulators/helpspot/index.js';

const SEED_DIR = join(import.meta.dirname, '../../../examples/helpspot-api/seed');
const BEARER = { authorization: 'Bearer hs-emulator-token' };
let seed: HelpSpotSeed;
let emu: HelpSpotEmulator;
let clock = Date.UTC(2024, 0, 1);
beforeEach(async () => {
  seed = await loadHelpSpotSeed(SEED_DIR);
  clock = Date.UTC(2024, 0, 1);
  emu = await startHelpSpotEmulator({ seed, now: () => clock });
});
afterEach(async () => {
  await emu.close();
});

async function api(query: string, headers: Record<string, string> = BEARER) {
  const r = await fetch(`${emu.url}/api/index.php?${query}`, { headers });
  const text = await r.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: r.status, headers: r.headers, text, body };
}

describe('auth and output', () => {
  test('no credentials: 401 with WWW-Authenticate and errors 1 and 2; wrong ones: HTTP 400 with error 2', async () => {
    const none = await api('method=private.request.getStatusTypes&output=json', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="API Authentication"');
    expect(none.body).toEqual({ error: [{ id: 1, description: 'Authentication information not sent' }, { id: 2, description: 'User authentication failed' }] });
    const bad = await api('method=private.request.getStatusTypes&output=json', { authorization: 'Bearer wrong' });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ error: [{ id: 2, description: 'User authentication failed' }] });
    const basic = await api('method=private.request.getStatusTypes&output=json', { authorization: `Basic ${Buffer.from('admin@acme.test:hs-emulator-password').toString('base64')}` });
    expect(basic.status).toBe(200);
    const query = await api('method=private.request.getStatusTypes&output=json&username=admin@acme.test&password=hs-emulator-password', {});
    expect(query.status).toBe(200);
    for (const r of [none, bad, basic, query]) expect(r.headers.get('x-helpspot-api')).toBe('5.0.58');
  });

  test('XML unless output=json; JSON has no root wrapper; an unknown method is error 201', async () => {
    const xml = await api('method=private.request.get&xRequest=12001');
    expect(xml.headers.get('content-type')).toMatch(/xml/);
    expect(xml.text).toMatch(/^<\?xml/);
    const json = await api('method=private.request.get&xRequest=12001&output=json&fRawValues=1');
    expect(json.body.xRequest).toBe(12001);
    expect(json.body.request).toBeUndefined();
    expect(json.body.request_history.item.length).toBe(4);
    const unknown = await api('method=private.request.nope&output=json');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error[0].id).toBe(201);
  });
});

describe('methods', () => {
  test('getChanged: one id per history row newer than dtGMTChange (strict >), duplicates included; 0 and missing are "not supplied"; non-numeric is empty', async () => {
    const all = await api('method=private.request.getChanged&dtGMTChange=1&output=json');
    const historyRows = seed.requests!.reduce((n, r) => n + (r.request_history as any).item.length, 0);
    expect(all.body.xRequest.length).toBe(historyRows);
    expect(new Set(all.body.xRequest).size).toBe(seed.requests!.length);
    const first = (seed.requests![0]!.request_history as any).item[3].dtGMTChange as number;
    const after = await api(`method=private.request.getChanged&dtGMTChange=${first}&output=json`);
    expect(after.body.xRequest).not.toContain(12001);
    const at = await api(`method=private.request.getChanged&dtGMTChange=${first - 1}&output=json`);
    expect(at.body.xRequest).toContain(12001);
    expect((await api('method=private.request.getChanged&dtGMTChange=0&output=json')).body.error[0]).toEqual({ id: 101, description: 'Required parameter dtGMTChange not supplied' });
    expect((await api('method=private.request.getChanged&output=json')).status).toBe(400);
    expect((await api('method=private.request.getChanged&dtGMTChange=yesterday&output=json')).body).toEqual({ xRequest: [] });
  });

  test('labels unless fRawValues=1; an unknown request is error 103', async () => {
    const labels = await api('method=private.request.get&xRequest=12001&output=json');
    expect(labels.body.xStatus).toBe('Active');
    expect(labels.body.xPersonAssignedTo).toBe('Sara Lind');
    expect(labels.body.request_history.item[1].person_type).toBe('staff');
    const raw = await api('method=private.request.get&xRequest=12001&output=json&fRawValues=1');
    expect(raw.body.xStatus).toBe(1);
    expect(raw.body.xPersonAssignedTo).toBe(1);
    expect((await api('method=private.request.get&xRequest=99&output=json')).body.error[0].id).toBe(103);
  });

  test('getAllStaff and getCategories answer objects keyed by id; getActiveStaff a list without the departed', async () => {
    const staff = await api('method=private.util.getAllStaff&output=json');
    expect(Object.keys(staff.body.person)).toEqual(['1', '2', '3', '4']);
    expect(staff.body.person['4'].fDeleted).toBe(1);
    expect((await api('method=private.util.getActiveStaff&output=json')).body.person.map((p: any) => p.xPerson)).toEqual([1, 2, 3]);
    expect(Object.keys((await api('method=private.request.getCategories&output=json')).body.category)).toEqual(['1', '2', '3']);
  });

  test('search pages by start/length (default 50), leaving trash and spam out', async () => {
    const page = await api('method=private.request.search&start=0&length=3&orderBy=xRequest&orderByDir=asc&output=json');
    expect(page.body.request.map((r: any) => r.xRequest)).toEqual([12001, 12002, 12003]);
    const all = await api('method=private.request.search&start=0&length=100&output=json&fRawValues=1');
    const ids = all.body.request.map((r: any) => r.xRequest);
    expect(ids).not.toContain(12007);
    expect(ids).not.toContain(12008);
    expect(ids.length).toBe(8);
  });

  test('private_url needs the staff credentials (302 to the login page otherwise); public_url only for public notes', async () => {
    const r = await api('method=private.request.get&xRequest=12001&output=json&fRawValues=1');
    const file = r.body.request_history.item[1].files.file[0];
    expect(file.local_path).toBeUndefined();
    const withAuth = await fetch(file.private_url, { headers: BEARER });
    expect(withAuth.status).toBe(200);
    expect(await withAuth.text()).toContain('Invoice 0042');
    const without = await fetch(file.private_url, { redirect: 'manual' });
    expect(without.status).toBe(302);
    expect((await fetch(file.public_url)).status).toBe(200);
  });
});

describe('the account-change hook', () => {
  test('changes write history rows at now: getChanged lists them; trash, spam, merge and purge', async () => {
    const t0 = Math.floor(clock / 1000);
    clock += 10_000;
    const res = await fetch(`${emu.url}/__emulator/account`, {
      method: 'POST',
      body: JSON.stringify({ requests: [{ xRequest: 12002, fOpen: 1 }], notes: [{ xRequest: 12003, tNote: 'still broken', xPerson: 0 }], trashRequests: [12010], spamRequests: [12009], mergeRequests: [[12004, 12006]], purgeRequests: [12005] }),
    });
    expect(res.status).toBe(200);
    const changed = (await api(`method=private.request.getChanged&dtGMTChange=${t0}&output=json`)).body.xRequest as number[];
    expect([...new Set(changed)].sort()).toEqual([12002, 12003, 12006, 12009, 12010]);
    expect((await api('method=private.request.get&xRequest=12010&output=json&fRawValues=1')).body).toMatchObject({ fTrash: 1, dtGMTTrashed: t0 + 10 });
    expect((await api('method=private.request.get&xRequest=12009&output=json&fRawValues=1')).body.xStatus).toBe(2);
    const merged = (await api('method=private.request.get&xRequest=12004&output=json&fRawValues=1')).body;
    expect(merged.xRequest).toBe(12006);
    expect(merged.request_history.item.some((i: any) => i.fMergedFromRequest === 12004)).toBe(true);
    expect((await api('method=private.request.get&xRequest=12005&output=json')).body.error[0].id).toBe(103);
    const bad = await fetch(`${emu.url}/__emulator/account`, { method: 'POST', body: JSON.stringify({ trashRequests: [1] }) });
    expect(bad.status).toBe(400);
  });

  test('faults: injected 503, 429 with Retry-After, and resets', async () => {
    await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ operation: 'private.request.get', action: 'status:503', times: 1 }, { operation: 'private.request.getChanged', action: 'rate-limit', retryAfterSeconds: 2, times: 1 }] }),
    });
    expect((await api('method=private.request.get&xRequest=12001&output=json')).status).toBe(503);
    const limited = await api('method=private.request.getChanged&dtGMTChange=1&output=json');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await api('method=private.request.getChanged&dtGMTChange=1&output=json')).status).toBe(200);
    expect(emu.requests().map((r) => r.operation)).toEqual(['private.request.get', 'private.request.getChanged', 'private.request.getChanged']);
  });

  test('an optional limit in front of the API (HelpSpot has none): 429 with Retry-After', async () => {
    emu.configure({ requestsPerMinute: 2 });
    expect((await api('method=private.request.getStatusTypes&output=json')).status).toBe(200);
    expect((await api('method=private.request.getStatusTypes&output=json')).status).toBe(200);
    const r = await api('method=private.request.getStatusTypes&output=json');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
