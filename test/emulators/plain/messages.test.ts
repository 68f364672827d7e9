import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { AGENT, ANN, BOB, GHOST, importMessages, importThread, message, onlyField, pid, SEED } from './helpers.js';

let emu: PlainEmulator;
let threadId: string;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  const t = await importThread(emu);
  threadId = t.thread?.id ?? '';
});

const ATTACHMENT = pid('att', '1');
const storedMessages = () => emu.snapshot().threads[0]?.messages ?? [];

describe('importThreadMessages: success', () => {
  test('INBOUND and OUTBOUND return TimelineEntry (t_), NOTE returns Note (n_), in input order', async () => {
    const r = await importMessages(emu, threadId, [
      message({ externalId: 'm-1' }),
      message({ externalId: 'm-2', type: 'OUTBOUND', author: { userId: AGENT }, text: 'Have you tried water?', createdAt: '2024-06-15T10:40:00+00:00' }),
      message({ externalId: 'm-3', type: 'NOTE', author: { userId: AGENT }, text: 'Customer seems stressed', attachmentIds: [ATTACHMENT] }),
    ]);
    expect(r.error).toBeNull();
    expect(r.results.map((x) => [x.result, x.threadMessage?.__typename, x.error])).toEqual([
      ['CREATED', 'TimelineEntry', null],
      ['CREATED', 'TimelineEntry', null],
      ['CREATED', 'Note', null],
    ]);
    expect(r.results[0]?.threadMessage?.id).toMatch(/^t_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(r.results[2]?.threadMessage?.id).toMatch(/^n_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(storedMessages()).toEqual([
      { id: r.results[0]?.threadMessage?.id, externalId: 'm-1', type: 'INBOUND', text: 'Hello, my printer is on fire.', createdAt: '2024-06-15T10:33:00.000Z', author: { customerId: ANN }, attachmentIds: [] },
      { id: r.results[1]?.threadMessage?.id, externalId: 'm-2', type: 'OUTBOUND', text: 'Have you tried water?', createdAt: '2024-06-15T10:40:00.000Z', author: { userId: AGENT }, attachmentIds: [] },
      { id: r.results[2]?.threadMessage?.id, externalId: 'm-3', type: 'NOTE', text: 'Customer seems stressed', createdAt: '2024-06-15T10:33:00.000Z', author: { userId: AGENT }, attachmentIds: [ATTACHMENT] },
    ]);
  });

  test('25 messages in one call are accepted', async () => {
    const batch = Array.from({ length: 25 }, (_, i) => message({ externalId: `m-${i}` }));
    const r = await importMessages(emu, threadId, batch);
    expect(r.error).toBeNull();
    expect(storedMessages()).toHaveLength(25);
  });

  test('an externalId already imported into this thread is a NOOP returning the existing message', async () => {
    const first = await importMessages(emu, threadId, [message()]);
    const again = await importMessages(emu, threadId, [message({ text: 'changed text' }), message({ externalId: 'm-2' })]);
    expect(again.error).toBeNull();
    expect(again.results[0]).toMatchObject({ result: 'NOOP', error: null });
    expect(again.results[0]?.threadMessage?.id).toBe(first.results[0]?.threadMessage?.id);
    expect(again.results[1]?.result).toBe('CREATED');
    expect(storedMessages().map((m) => [m.externalId, m.text])).toEqual([
      ['m-1', 'Hello, my printer is on fire.'],
      ['m-2', 'Hello, my printer is on fire.'],
    ]);
  });

  test('message idempotency is per thread: the same externalId in another thread is created', async () => {
    const other = await importThread(emu, { externalId: 'zd-2' });
    await importMessages(emu, threadId, [message()]);
    const r = await importMessages(emu, other.thread?.id ?? '', [message()]);
    expect(r.results[0]?.result).toBe('CREATED');
  });

  test('a duplicate externalId inside one batch: the first is created, the second is a NOOP', async () => {
    const r = await importMessages(emu, threadId, [message(), message({ text: 'again' })]);
    expect(r.results.map((x) => x.result)).toEqual(['CREATED', 'NOOP']);
    expect(r.results[1]?.threadMessage?.id).toBe(r.results[0]?.threadMessage?.id);
    expect(storedMessages()).toHaveLength(1);
  });
});

describe('importThreadMessages: whole-call rules', () => {
  test('an unknown thread is a VALIDATION error on threadId (NOT_FOUND)', async () => {
    const r = await importMessages(emu, pid('th', 'Z'), [message()]);
    expect(r.results).toEqual([]);
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r.error)).toMatchObject({ field: 'threadId', type: 'NOT_FOUND' });
  });

  test('more than 25 messages is rejected whole and nothing is imported', async () => {
    const batch = Array.from({ length: 26 }, (_, i) => message({ externalId: `m-${i}` }));
    const r = await importMessages(emu, threadId, batch);
    expect(r.results).toEqual([]);
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r.error)).toMatchObject({ field: 'threadMessages', type: 'VALIDATION' });
    expect(storedMessages()).toEqual([]);
  });
});

describe('importThreadMessages: per-message rules and bulk_partial_failure', () => {
  const rejectsOne = async (bad: Record<string, unknown>, field: string, type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND'): Promise<void> => {
    const r = await importMessages(emu, threadId, [message({ externalId: 'good-1' }), message({ externalId: 'bad', ...bad }), message({ externalId: 'good-2' })]);
    expect(r.error).toEqual({ message: expect.any(String) as string, type: 'VALIDATION', code: 'bulk_partial_failure', fields: [] });
    expect(r.results).toHaveLength(3);
    expect(r.results[0]).toMatchObject({ result: 'CREATED', error: null });
    expect(r.results[2]).toMatchObject({ result: 'CREATED', error: null });
    expect(r.results[1]?.threadMessage).toBeNull();
    expect(r.results[1]?.result).toBeNull();
    expect(r.results[1]?.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r.results[1]?.error ?? null)).toMatchObject({ field, type });
    expect(storedMessages().map((m) => m.externalId)).toEqual(['good-1', 'good-2']);
  };

  test('an author with both customerId and userId is rejected', () => rejectsOne({ author: { customerId: ANN, userId: AGENT } }, 'author', 'VALIDATION'));
  test('an author with neither is rejected', () => rejectsOne({ author: {} }, 'author', 'VALIDATION'));
  test('INBOUND authored by a user is rejected', () => rejectsOne({ type: 'INBOUND', author: { userId: AGENT } }, 'author.customerId', 'REQUIRED'));
  test('OUTBOUND authored by a customer is rejected', () => rejectsOne({ type: 'OUTBOUND', author: { customerId: ANN } }, 'author.userId', 'REQUIRED'));
  test('NOTE authored by a customer is rejected', () => rejectsOne({ type: 'NOTE', author: { customerId: ANN } }, 'author.userId', 'REQUIRED'));
  test('INBOUND from an unknown customer is NOT_FOUND', () => rejectsOne({ author: { customerId: pid('c', 'Z') } }, 'author.customerId', 'NOT_FOUND'));
  test('OUTBOUND from an unknown user is NOT_FOUND', () => rejectsOne({ type: 'OUTBOUND', author: { userId: pid('u', 'Z') } }, 'author.userId', 'NOT_FOUND'));
  test('NOTE from a deleted user is rejected', () => rejectsOne({ type: 'NOTE', author: { userId: GHOST } }, 'author.userId', 'VALIDATION'));
  test('blank text is REQUIRED', () => rejectsOne({ text: ' \t ' }, 'text', 'REQUIRED'));
  test('a non-ISO createdAt is rejected', () => rejectsOne({ createdAt: '2024-06-15 10:33' }, 'createdAt', 'VALIDATION'));
  test('a future createdAt is rejected', () => rejectsOne({ createdAt: new Date(Date.now() + 86_400_000).toISOString() }, 'createdAt', 'VALIDATION'));
  test('an unknown attachment is NOT_FOUND', () => rejectsOne({ attachmentIds: [pid('att', 'Z')] }, 'attachmentIds', 'NOT_FOUND'));

  test('INBOUND from another existing customer is accepted', async () => {
    const r = await importMessages(emu, threadId, [message({ author: { customerId: BOB } })]);
    expect(r.error).toBeNull();
  });

  test('when every message fails the top-level error is still bulk_partial_failure and nothing is stored', async () => {
    const r = await importMessages(emu, threadId, [message({ text: '' }), message({ externalId: 'm-2', type: 'NOTE' })]);
    expect(r.error?.code).toBe('bulk_partial_failure');
    expect(r.results.map((x) => x.threadMessage)).toEqual([null, null]);
    expect(storedMessages()).toEqual([]);
  });
});
