/**
 * Front's burst limit (source-apis.md §5 Rate limits: 5 requests a second per resource-intensive route, a 429
 * with X-Front-Tier even while the company's budget has room): the messages and comments routes are paced
 * under it, so a pull with many conversations gets no burst 429 however high the company's limit.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { loadFrontSeed, startFrontEmulator, type FrontEmulator } from '../../../src/emulators/front/index.js';
import { frontKind } from '../../../src/sources/front/index.js';
import { connectionDecl, liveSource, memoryState, pullKind, records } from '../live-kit.js';

const SEED_DIR = join(import.meta.dirname, '../../../examples/front-api/seed');
const TOKEN = 'front-burst-token';
let emu: FrontEmulator | undefined;
afterEach(async () => {
  await emu?.close();
});

describe('front pull under the burst limit', () => {
  test('8 more conversations: every message and comment list is fetched without a burst 429', async () => {
    const seed = await loadFrontSeed(SEED_DIR);
    const model = seed.conversations!.find((c) => c.id === 'cnv_c1')!;
    const modelMessages = seed.messages!.filter((m) => m['conversation_id'] === 'cnv_c1');
    for (let i = 1; i <= 8; i++) {
      seed.conversations!.push({ ...structuredClone(model), id: `cnv_burst${i}` });
      for (const [k, m] of modelMessages.entries()) seed.messages!.push({ ...structuredClone(m), id: `msg_burst${i}_${k}`, conversation_id: `cnv_burst${i}`, attachments: [] });
    }
    emu = await startFrontEmulator({ seed, token: TOKEN, requestsPerMinute: 0, burstPerSecond: 5 });
    const conn = connectionDecl('fr', 'front', emu.url, { token: TOKEN }, { requestsPerMinute: 100_000 });
    const state = memoryState();
    await pullKind(frontKind, conn, ['conversations', 'messages', 'comments'].map((s) => liveSource('front', 'fr', s, s)), state, { secrets: [TOKEN] });
    const log = emu.requests() as Array<{ operation: string | null; status: number }>;
    const lists = log.filter((r) => r.operation === 'conversation.messages' || r.operation === 'conversation.comments');
    expect(lists.length).toBeGreaterThanOrEqual(2 * 8);
    expect(lists.filter((r) => r.status === 429)).toEqual([]);
    const msgs = await records(state, 'fr.messages');
    expect(msgs.filter((m) => String(m['conversation_id']).startsWith('cnv_burst'))).toHaveLength(8 * modelMessages.length);
    await state.close();
  });
});
