/**
 * The executor's attachment uploads against the Plain emulator: an upload recorded in state is reused
 * by a later apply while Plain keeps unreferenced uploads (24 h), and made again once it has expired.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/executor.js';
import type { Clock } from '../../src/http/ratelimit.js';
import { attachmentAddress, messageAddress, threadAddress } from '../../src/core/model.js';
import { item } from './items.js';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import type { ThreadPlanItem } from '../../src/plan/types.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { PlainTarget } from '../../src/targets/plain/client.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator();
});
afterAll(async () => {
  await emu?.close();
});

const clock: Clock & { t: number } = {
  t: Date.now(),
  now: () => clock.t,
  sleep: async (ms) => {
    clock.t += Math.max(0, ms);
  },
};

function attachedItem(dir: string): ThreadPlanItem {
  writeFileSync(join(dir, 'a.txt'), 'hello\n');
  return item('t1', 1, { attachments: [{ path: 'a.txt', fileName: 'a.txt', contentType: 'text/plain' }] });
}

async function run(state: SqliteStateStore, it: ThreadPlanItem, dir: string) {
  const items = (async function* () {
    yield it;
  })();
  return applyPlan({
    items,
    target: new PlainTarget({ endpoint: emu.graphqlUrl, apiKey: 'k', requestTimeoutMs: 2000 }),
    state,
    runId: 1,
    batching: { messagesPerRequest: 25, concurrency: 1, requestsPerMinute: 100_000, maxAttempts: 1, requestTimeoutMs: 2000 },
    stop: new AbortController().signal,
    cancel: new AbortController().signal,
    emit: () => undefined,
    clock,
    attachments: { manifestDir: dir, timeoutMs: 2000 },
  });
}

const uploadUrls = () => emu.requests().filter((r) => r.query.includes('createAttachmentUploadUrl(')).length;
const faults = (rules: unknown[]) =>
  fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });

describe('attachment uploads recorded in state', () => {
  it('are reused within 24 hours, uploaded again after, and referenced by the message once it is imported', async () => {
    emu.reset();
    const dir = mkdtempSync(join(tmpdir(), 'pm-att-'));
    const state = SqliteStateStore.open(join(dir, 'state.db'), { manifestName: 't', create: true });
    const it1 = attachedItem(dir);
    const address = attachmentAddress('t1', 'm0', 0);
    // The message batch fails (not retried): the file is uploaded and recorded, the message is not imported.
    await faults([{ operation: 'importThreadMessages', action: 'status:400' }]);
    await run(state, it1, dir);
    expect(uploadUrls()).toBe(1);
    const first = (await state.get(address))!;
    expect(first).toMatchObject({ kind: 'attachment', status: 'applied', parent: messageAddress('t1', 'm0') });
    expect(first.applied).toMatchObject({ size: 6, sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03' });

    clock.t += 60 * 60 * 1000; // an hour later: the upload is still good
    await run(state, { ...it1, action: 'append', targetId: (await state.get(threadAddress('t1')))!.targetId! }, dir);
    expect(uploadUrls()).toBe(1);

    clock.t += 24 * 60 * 60 * 1000; // a day later: Plain has dropped it; upload again
    await run(state, { ...it1, action: 'append', targetId: (await state.get(threadAddress('t1')))!.targetId! }, dir);
    expect(uploadUrls()).toBe(2);
    expect((await state.get(address))!.targetId).not.toBe(first.targetId);

    await faults([]);
    await run(state, { ...it1, action: 'append', targetId: (await state.get(threadAddress('t1')))!.targetId! }, dir);
    expect(uploadUrls()).toBe(2);
    const s = emu.snapshot();
    const msg = s.threads[0]!.messages[0]!;
    const uploaded = (await state.get(address))!.targetId;
    expect(s.attachments.find((a) => a.id === uploaded)).toMatchObject({ uploaded: true, messageId: msg.id, size: 6 });
    await state.close();
  });
});
