import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type FaultRule, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { getJson, gql, IMPORT_THREAD, importMessages, importThread, message, postJson, SEED, threadInput, type ImportThreadData } from './helpers.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

type RuleState = FaultRule & { seen: number; fired: number };
const setFaults = async (rules: unknown[], faultSeed?: number): Promise<void> => {
  const r = await postJson(emu, '/__emulator/faults', faultSeed === undefined ? { rules } : { rules, faultSeed });
  expect(r.status).toBe(200);
};
const importOnce = (externalId: string) => gql<ImportThreadData>(emu, IMPORT_THREAD, { input: threadInput({ externalId }) });

describe('fault actions', () => {
  test('status:503 answers HTTP 503 with a JSON errors body and applies nothing', async () => {
    await setFaults([{ operation: 'importThread', action: 'status:503' }]);
    const r = await importOnce('f-1');
    expect(r.status).toBe(503);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(r.headers.get('x-ratelimit-limit')).not.toBeNull();
    expect(emu.snapshot().threads).toEqual([]);
  });

  test('reset destroys the socket without an answer (fetch rejects) and applies nothing', async () => {
    await setFaults([{ operation: 'importThread', action: 'reset' }]);
    await expect(importOnce('f-1')).rejects.toThrow();
    expect(emu.snapshot().threads).toEqual([]);
  });

  test('drop-after-commit applies the mutation, then drops the connection', async () => {
    await setFaults([{ operation: 'importThread', action: 'drop-after-commit', times: 1 }]);
    await expect(importOnce('f-1')).rejects.toThrow();
    expect(emu.snapshot().threads.map((t) => t.externalId)).toEqual(['f-1']);
    // The client's retry finds the thread already there.
    const retry = await importOnce('f-1');
    expect(retry.body.data?.importThread.result).toBe('NOOP');
  });

  test('internal-error answers 200 with the operation’s MutationError INTERNAL and applies nothing', async () => {
    await setFaults([{ operation: 'importThread', action: 'internal-error' }]);
    const r = await importOnce('f-1');
    expect(r.status).toBe(200);
    expect(r.body.data?.importThread).toEqual({
      result: null,
      thread: null,
      error: { message: expect.any(String) as string, type: 'INTERNAL', code: 'internal', fields: [] },
    });
    expect(emu.snapshot().threads).toEqual([]);
  });

  test('internal-error on a query is an INTERNAL_SERVER_ERROR GraphQL error', async () => {
    await setFaults([{ operation: 'userByEmail', action: 'internal-error' }]);
    const r = await gql(emu, '{ userByEmail(email: "sara@acme.com") { id } }');
    expect(r.status).toBe(200);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  test('rate-limit answers Plain’s 429 with retry-after even with no limit configured', async () => {
    await setFaults([{ action: 'rate-limit', times: 1 }]);
    const r = await importOnce('f-1');
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ errors: [{ message: 'Too Many Requests - Rate limit exceeded', extensions: { code: 'RATE_LIMITED' } }] });
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(emu.snapshot().threads).toEqual([]);
    expect((await importOnce('f-1')).status).toBe(200);
  });

  test('rate-limit with retryAfterSeconds announces that wait in retry-after and x-ratelimit-reset', async () => {
    await setFaults([{ action: 'rate-limit', times: 1, retryAfterSeconds: 2 }]);
    const before = Date.now();
    const r = await importOnce('f-ra');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('2');
    const reset = Date.parse(r.headers.get('x-ratelimit-reset')!);
    expect(reset).toBeGreaterThanOrEqual(before + 1900);
    expect(reset).toBeLessThanOrEqual(Date.now() + 2100);
  });

  test('retryAfterSeconds is refused on other actions', async () => {
    const r = await postJson(emu, '/__emulator/faults', { rules: [{ action: 'reset', retryAfterSeconds: 2 }] });
    expect(r.status).toBe(400);
  });

  test('rate-limit with omitRetryAfter sends only x-ratelimit-reset', async () => {
    await setFaults([{ action: 'rate-limit', times: 1, retryAfterSeconds: 3, omitRetryAfter: true }]);
    const r = await importOnce('f-omit');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(Date.parse(r.headers.get('x-ratelimit-reset')!)).toBeGreaterThan(Date.now() + 2000);
  });

  test('partial-internal-error fails every second message of a batch with INTERNAL and stores the others', async () => {
    const t = await importOnce('f-partial');
    const threadId = (t.body.data as { importThread: { thread: { id: string } } }).importThread.thread.id;
    await setFaults([{ operation: 'importThreadMessages', action: 'partial-internal-error', times: 1 }]);
    const msgs = [0, 1, 2, 3].map((i) => message({ externalId: `pm-${i}`, text: `m${i}` }));
    const r = await importMessages(emu, threadId, msgs);
    expect(r.error?.code).toBe('bulk_partial_failure');
    expect(r.results.map((x) => x.error?.type ?? x.result)).toEqual(['CREATED', 'INTERNAL', 'CREATED', 'INTERNAL']);
    const stored = emu.snapshot().threads.find((x) => x.id === threadId)!.messages.map((m) => m.externalId);
    expect(stored).toEqual(['pm-0', 'pm-2']);
    const again = await importMessages(emu, threadId, msgs);
    expect(again.results.map((x) => x.result)).toEqual(['NOOP', 'CREATED', 'NOOP', 'CREATED']);
  });

  test('hang never answers (the client times out) and close() still returns', async () => {
    const own = await startPlainEmulator({ seed: SEED });
    await postJson(own, '/__emulator/faults', { rules: [{ operation: 'importThread', action: 'hang' }] });
    const started = Date.now();
    await expect(gql(own, IMPORT_THREAD, { input: threadInput() }, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(own.snapshot().threads).toEqual([]);
    // A second hung request still open while closing:
    const pending = gql(own, IMPORT_THREAD, { input: threadInput() }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    await own.close();
    expect(Date.now() - t).toBeLessThan(2000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('fault matching and counting', () => {
  test('every N fires on the Nth, 2Nth … matching request, at most `times` times; other operations are not counted', async () => {
    await setFaults([{ operation: 'importThread', every: 3, times: 2, action: 'status:503' }]);
    const statuses: number[] = [];
    for (let i = 1; i <= 10; i++) {
      statuses.push((await importOnce(`f-${i}`)).status);
      await gql(emu, '{ userByEmail(email: "sara@acme.com") { id } }');
    }
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503, 200, 200, 200, 200]);
    const listed = await getJson<{ rules: RuleState[] }>(emu, '/__emulator/faults');
    expect(listed.rules).toEqual([{ operation: 'importThread', every: 3, times: 2, action: 'status:503', seen: 10, fired: 2 }]);
    expect(emu.snapshot().threads).toHaveLength(8);
  });

  test('operation also matches the request’s operationName', async () => {
    await setFaults([{ operation: 'myCustomName', action: 'status:502' }]);
    const r = await gql(emu, IMPORT_THREAD, { input: threadInput() }, { operationName: 'importThread' });
    expect(r.status).toBe(200);
    const named = await gql(emu, 'query myCustomName { myPermissions { permissions } }', undefined, { operationName: 'myCustomName' });
    expect(named.status).toBe(502);
  });

  test('the first firing rule wins; later matching rules still count the request', async () => {
    await setFaults([
      { operation: 'importThread', times: 1, action: 'status:500' },
      { operation: 'importThread', action: 'status:503' },
    ]);
    expect((await importOnce('a')).status).toBe(500);
    expect((await importOnce('b')).status).toBe(503);
    const listed = await getJson<{ rules: RuleState[] }>(emu, '/__emulator/faults');
    expect(listed.rules.map((r) => [r.seen, r.fired])).toEqual([
      [2, 1],
      [2, 1],
    ]);
  });

  test('probability is deterministic under a faultSeed; 0 never fires and 1 always does', async () => {
    const pattern = async (): Promise<number[]> => {
      await setFaults([{ operation: 'myPermissions', probability: 0.5, action: 'status:503' }], 42);
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await gql(emu, '{ myPermissions { permissions } }')).status);
      return out;
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain(200);

    await setFaults([{ probability: 0, action: 'status:503' }]);
    for (let i = 0; i < 10; i++) expect((await gql(emu, '{ myPermissions { permissions } }')).status).toBe(200);
    await setFaults([{ probability: 1, action: 'status:503' }]);
    for (let i = 0; i < 3; i++) expect((await gql(emu, '{ myPermissions { permissions } }')).status).toBe(503);
  });

  test('{"rules":[]} clears the faults', async () => {
    await setFaults([{ action: 'status:503' }]);
    expect((await importOnce('a')).status).toBe(503);
    await setFaults([]);
    expect((await importThread(emu, { externalId: 'a' })).result).toBe('CREATED');
    expect((await getJson<{ rules: RuleState[] }>(emu, '/__emulator/faults')).rules).toEqual([]);
  });

  test.each([
    [{ rules: [{ action: 'explode' }] }],
    [{ rules: [{ action: 'status:200' }] }],
    [{ rules: [{ action: 'reset', every: 0 }] }],
    [{ rules: [{ action: 'reset', probability: 2 }] }],
    [{ rules: [{ action: 'reset', colour: 'red' }] }],
    [{ rules: [{}] }],
    [{ rule: [] }],
    [{ rules: [], faultSeed: 'x' }],
  ])('an invalid fault body %j is HTTP 400', async (body) => {
    const r = await postJson<{ errors: { message: string }[] }>(emu, '/__emulator/faults', body);
    expect(r.status).toBe(400);
    expect(r.body.errors[0]?.message).toBeTruthy();
  });

  test('faults are not consulted for unauthenticated requests', async () => {
    await setFaults([{ action: 'status:503' }]);
    expect((await gql(emu, '{ myPermissions { permissions } }', undefined, { key: 'bad' })).status).toBe(401);
    const listed = await getJson<{ rules: RuleState[] }>(emu, '/__emulator/faults');
    expect(listed.rules[0]?.seen).toBe(0);
  });
});
