import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadZendeskSeed, checkZendeskSeed } from '../../../src/emulators/zendesk/index.js';
import { EXPORT_DIR } from './helpers.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zd-seed-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function exportDir(files: Record<string, string>): Promise<string> {
  const d = join(dir, 'export');
  await mkdir(d, { recursive: true });
  const all = { 'tickets.jsonl': '{"id":1,"status":"open"}\n', 'users.jsonl': '{"id":10}\n', 'comments.jsonl': '', ...files };
  for (const [name, text] of Object.entries(all)) await writeFile(join(d, name), text);
  return d;
}

describe('Zendesk emulator: seed', () => {
  test('the quickstart export loads, attachment paths resolved from the directory\'s parent', async () => {
    const seed = await loadZendeskSeed(EXPORT_DIR);
    expect(seed.tickets).toHaveLength(40);
    expect(seed.users).toHaveLength(19);
    expect(seed.comments).toHaveLength(192);
    const att = seed.comments?.find((c) => c.id === 5017)?.attachments as { local_path: string }[];
    expect(att[0]?.local_path).toBe(join(EXPORT_DIR, 'attachments/5017/screenshot.png'));
  });

  test('a bad line is an error naming file:line', async () => {
    const d = await exportDir({ 'tickets.jsonl': '{"id":1}\n\n{"id":2,"status":"weird"}\n' });
    await expect(loadZendeskSeed(d)).rejects.toThrow(`${join(d, 'tickets.jsonl')}:3: "status" must be one of`);
    const j = await exportDir({ 'users.jsonl': '{"id":10}\n{not json\n' });
    await expect(loadZendeskSeed(j)).rejects.toThrow(`${join(j, 'users.jsonl')}:2: not JSON`);
    const c = await exportDir({ 'comments.jsonl': '{"id":5,"ticket_id":99}\n' });
    await expect(loadZendeskSeed(c)).rejects.toThrow(`${join(c, 'comments.jsonl')}:1: ticket_id 99 is not a seeded ticket`);
    const dup = await exportDir({ 'users.jsonl': '{"id":10}\n{"id":10}\n' });
    await expect(loadZendeskSeed(dup)).rejects.toThrow(/users\.jsonl:2: id 10 repeats an earlier record/);
  });

  test('a missing directory or required file is an error; optional files may be absent', async () => {
    await expect(loadZendeskSeed(join(dir, 'nope'))).rejects.toThrow(/not a directory/);
    const d = await exportDir({});
    await rm(join(d, 'comments.jsonl'));
    await expect(loadZendeskSeed(d)).rejects.toThrow(/comments\.jsonl: no such file/);
    const ok = await exportDir({ 'comments.jsonl': '' });
    expect((await loadZendeskSeed(ok)).organizations).toEqual([]);
  });

  test('an in-process seed is checked too', () => {
    expect(() => checkZendeskSeed({ tickets: [{ id: 0 }] })).toThrow(/options\.seed tickets\[0\]: "id" must be an integer ≥ 1/);
  });
});
