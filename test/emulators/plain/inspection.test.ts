import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPlainEmulator, type EmulatorRequestLog, type EmulatorStateSnapshot, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import {
  ACME,
  ADD_TO_TENANTS,
  AGENT,
  ANN,
  BOB,
  FULL_KEY,
  getJson,
  GHOST,
  gql,
  GLOBEX,
  importMessages,
  importThread,
  LT_BILLING,
  LT_BUG,
  LT_OLD,
  message,
  pid,
  postJson,
  SEED,
  upsertCustomer,
} from './helpers.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED, rateLimitPerMinute: 1000 });
});
afterAll(async () => {
  await emu.close();
});

const INITIAL: EmulatorStateSnapshot = {
  customers: [
    { id: ANN, email: 'ann@example.com', fullName: 'Ann Example', externalId: 'ext-ann' },
    { id: BOB, email: 'bob@example.com', fullName: 'Bob Example', externalId: null },
  ],
  users: [
    { id: AGENT, email: 'sara@acme.com', fullName: 'Sara Agent', isDeleted: false },
    { id: GHOST, email: 'gone@acme.com', fullName: 'Gone Agent', isDeleted: true },
  ],
  labelTypes: [
    { id: LT_BILLING, name: 'billing', archived: false },
    { id: LT_BUG, name: 'bug', archived: false },
    { id: LT_OLD, name: 'legacy', archived: true },
  ],
  tenants: [
    { id: ACME, externalId: 'org-acme', name: 'Acme', customerIds: [] },
    { id: GLOBEX, externalId: 'org-globex', name: 'Globex', customerIds: [] },
  ],
  threads: [],
  attachments: [{ id: pid('att', '1'), fileName: 'screenshot.png', size: 0, sha256: null, uploaded: true, messageId: null }],
};

describe('inspection endpoints', () => {
  test('GET /__emulator/state is exactly the seeded workspace, and equals snapshot()', async () => {
    await postJson(emu, '/__emulator/reset', {});
    const state = await getJson<EmulatorStateSnapshot>(emu, '/__emulator/state');
    expect(state).toEqual(INITIAL);
    expect(emu.snapshot()).toEqual(state);
  });

  test('GET /__emulator/requests logs every GraphQL request with its HTTP status, without the Authorization header', async () => {
    await postJson(emu, '/__emulator/reset', {});
    await gql(emu, '{ userByEmail(email: "sara@acme.com") { id } }', undefined, { operationName: undefined });
    await gql(emu, 'query who($e: String!) { userByEmail(email: $e) { id } }', { e: 'x@y.z' }, { operationName: 'who' });
    await gql(emu, '{ nope }');
    await gql(emu, '{ myPermissions { permissions } }', undefined, { key: 'bad-key' });
    await postJson(emu, '/__emulator/faults', { rules: [{ operation: 'myPermissions', action: 'reset', times: 1 }] });
    await gql(emu, '{ myPermissions { permissions } }').catch(() => undefined);

    const log = await getJson<EmulatorRequestLog[]>(emu, '/__emulator/requests');
    expect(log.map((e) => [e.operationName, e.status])).toEqual([
      [null, 200],
      ['who', 200],
      [null, 400],
      [null, 401],
      [null, 0],
    ]);
    expect(log[1]).toEqual({ at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/) as string, operationName: 'who', query: 'query who($e: String!) { userByEmail(email: $e) { id } }', variables: { e: 'x@y.z' }, status: 200 });
    expect(Object.keys(log[0] ?? {}).sort()).toEqual(['at', 'operationName', 'query', 'status', 'variables']);
    expect(JSON.stringify(log)).not.toContain(FULL_KEY);
    expect(emu.requests()).toEqual(log);
  });

  test('the request log includes 429s', async () => {
    await postJson(emu, '/__emulator/reset', {});
    await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 1 });
    try {
      await gql(emu, '{ myPermissions { permissions } }');
      await gql(emu, '{ myPermissions { permissions } }');
      expect(emu.requests().map((r) => r.status)).toEqual([200, 429]);
    } finally {
      await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 1000 });
    }
  });

  test('POST /__emulator/reset clears customers, threads, memberships, requests, faults and the rate window, and re-applies the seed', async () => {
    await postJson(emu, '/__emulator/reset', {});
    await upsertCustomer(emu, { identifier: { emailAddress: 'cat@example.com' }, onCreate: { fullName: 'Cat', email: { email: 'cat@example.com', isVerified: false } }, onUpdate: {} });
    await upsertCustomer(emu, { identifier: { customerId: ANN }, onCreate: { fullName: 'x', email: { email: 'x@x.io', isVerified: false } }, onUpdate: { fullName: { value: 'Ann Renamed' } } });
    await gql(emu, ADD_TO_TENANTS, { input: { customerIdentifier: { customerId: ANN }, tenantIdentifiers: [{ tenantId: ACME }] } });
    const t = await importThread(emu, { tenantId: ACME });
    await importMessages(emu, t.thread?.id ?? '', [message()]);
    await postJson(emu, '/__emulator/faults', { rules: [{ operation: 'never', action: 'hang' }] });
    // Five requests so far in this window: the sixth is the last allowed.
    await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 6 });
    try {
      expect((await gql(emu, '{ myPermissions { permissions } }')).status).toBe(200);
      expect((await gql(emu, '{ myPermissions { permissions } }')).status).toBe(429);
      const changed = emu.snapshot();
      expect(changed.customers).toHaveLength(3);
      expect(changed.threads[0]?.messages).toHaveLength(1);

      const reset = await postJson<{ ok: boolean }>(emu, '/__emulator/reset', {});
      expect(reset.status).toBe(200);
      expect(emu.snapshot()).toEqual(INITIAL);
      expect(emu.requests()).toEqual([]);
      expect((await getJson<{ rules: unknown[] }>(emu, '/__emulator/faults')).rules).toEqual([]);
      expect((await gql(emu, '{ myPermissions { permissions } }')).status).toBe(200);
      // Configuration survives a reset.
      expect(await getJson(emu, '/__emulator/config')).toEqual({ rateLimitPerMinute: 6, latencyMs: 0 });
    } finally {
      await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 1000 });
    }
  });

  test('seeded entities without ids keep the same generated ids across resets', async () => {
    const own = await startPlainEmulator({ seed: { users: [{ email: 'a@b.co', fullName: 'A' }], customers: [{ email: 'c@d.co', fullName: 'C' }] } });
    try {
      const before = own.snapshot();
      expect(before.users[0]?.id).toMatch(/^u_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(before.customers[0]?.id).toMatch(/^c_[0-9A-HJKMNP-TV-Z]{26}$/);
      own.reset();
      expect(own.snapshot()).toEqual(before);
    } finally {
      await own.close();
    }
  });

  test('wrong methods on inspection endpoints are 405', async () => {
    expect((await fetch(`${emu.url}/__emulator/state`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${emu.url}/__emulator/reset`)).status).toBe(405);
  });
});
