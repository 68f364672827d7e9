import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isPmError, PmError } from '../../../src/core/errors.js';
import { loadPlainSeed, startPlainEmulator, type PlainSeed } from '../../../src/emulators/plain/index.js';
import { pid } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'plain-seed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = async (name: string, text: string): Promise<string> => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

const loadError = async (file: string): Promise<PmError> => {
  try {
    await loadPlainSeed(file);
  } catch (e) {
    if (isPmError(e)) return e;
    throw e;
  }
  throw new Error('expected loadPlainSeed to fail');
};

describe('loadPlainSeed', () => {
  test('reads YAML and JSON seeds', async () => {
    const yamlFile = await write(
      'seed.yaml',
      `users:
  - { id: ${pid('u', '1')}, email: sara@acme.com, fullName: Sara }
  - { email: gone@acme.com, fullName: Gone, isDeleted: true }
machineUsers: [{ fullName: Bot }]
labelTypes: [{ name: billing }, { name: old, archived: true }]
tenants: [{ externalId: org-1, name: Org }]
customers: [{ email: ann@example.com, fullName: Ann, externalId: ext-ann }]
apiKeys: [{ key: k1, permissions: [thread:import] }]
threadFieldSchemas: [{ key: product_area, label: Product area, type: ENUM, enumValues: [billing, security], isRequired: true }]
`,
    );
    const seed = await loadPlainSeed(yamlFile);
    expect(seed.users?.[0]).toEqual({ id: pid('u', '1'), email: 'sara@acme.com', fullName: 'Sara', isDeleted: false });
    expect(seed.labelTypes?.[1]).toMatchObject({ name: 'old', archived: true });
    expect(seed.apiKeys).toEqual([{ key: 'k1', permissions: ['thread:import'] }]);
    expect(seed.threadFieldSchemas).toEqual([{ id: undefined, key: 'product_area', label: 'Product area', type: 'ENUM', enumValues: ['billing', 'security'], isRequired: true }]);

    const jsonFile = await write('seed.json', JSON.stringify({ customers: [{ email: 'b@example.com', fullName: 'B' }] }));
    expect((await loadPlainSeed(jsonFile)).customers?.[0]).toMatchObject({ email: 'b@example.com', fullName: 'B' });

    const emu = await startPlainEmulator({ seed });
    try {
      const state = emu.snapshot();
      expect(state.users.map((u) => u.id)).toEqual([pid('u', '1'), expect.stringMatching(/^u_[0-9A-HJKMNP-TV-Z]{26}$/) as string]);
      expect(state.labelTypes[0]?.id).toMatch(/^lt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(state.tenants[0]?.id).toMatch(/^te_[0-9A-HJKMNP-TV-Z]{26}$/);
    } finally {
      await emu.close();
    }
  });

  test('a missing file is a PmError naming the file', async () => {
    const file = join(dir, 'nope.yaml');
    const e = await loadError(file);
    expect(e.code).toBe('emulator.seed-unreadable');
    expect(e.message).toContain(file);
  });

  test('an unsupported extension is refused', async () => {
    const e = await loadError(await write('seed.toml', 'x = 1'));
    expect(e.message).toContain('seed.toml');
    expect(e.message).toContain('.json, .yaml or .yml');
  });

  test('invalid JSON is a PmError with the file and a position', async () => {
    const e = await loadError(await write('bad.json', '{\n  "users": [\n}'));
    expect(e.code).toBe('emulator.seed-invalid');
    expect(e.message).toContain('bad.json');
    expect(e.location?.file).toContain('bad.json');
    expect(e.location?.line).toBeGreaterThan(0);
  });

  test('invalid YAML is a PmError with the file, line and column', async () => {
    const e = await loadError(await write('bad.yaml', 'users:\n  - email: a@b.co\n    fullName: [unclosed\n'));
    expect(e.code).toBe('emulator.seed-invalid');
    expect(e.message).toContain('bad.yaml');
    expect(e.location?.line).toBeGreaterThan(0);
  });

  test.each([
    ['a list at the top', '- users'],
    ['an unknown section', 'people: []'],
    ['a section that is not a list', 'users: { email: a@b.co }'],
    ['a user without email', 'users: [{ fullName: A }]'],
    ['a user with a bad email', 'users: [{ email: nope, fullName: A }]'],
    ['a user with an unknown key', 'users: [{ email: a@b.co, fullName: A, role: admin }]'],
    ['isDeleted not a boolean', 'users: [{ email: a@b.co, fullName: A, isDeleted: "yes" }]'],
    ['an id with the wrong prefix', `users: [{ id: ${pid('c', '1')}, email: a@b.co, fullName: A }]`],
    ['an id that is not a ULID', 'labelTypes: [{ id: lt_billing, name: billing }]'],
    ['a blank customer name', 'customers: [{ email: a@b.co, fullName: "  " }]'],
    ['duplicate customer emails', 'customers: [{ email: a@b.co, fullName: A }, { email: A@B.co, fullName: B }]'],
    ['duplicate tenant externalIds', 'tenants: [{ externalId: t, name: A }, { externalId: t, name: B }]'],
    ['a repeated id', `users: [{ id: ${pid('u', '1')}, email: a@b.co, fullName: A }, { id: ${pid('u', '1')}, email: c@b.co, fullName: C }]`],
    ['permissions not a list', 'apiKeys: [{ key: k, permissions: thread:import }]'],
    ['duplicate api keys', 'apiKeys: [{ key: k, permissions: [] }, { key: k, permissions: [] }]'],
    ['a thread field key that is not ^[a-z0-9_]+$', 'threadFieldSchemas: [{ key: Product Area, label: A, type: STRING }]'],
    ['a thread field of an unknown type', 'threadFieldSchemas: [{ key: a, label: A, type: TEXT }]'],
  ])('%s is refused with a clear error naming the file', async (_name, text) => {
    const e = await loadError(await write('invalid.yaml', text));
    expect(e.code).toBe('emulator.seed-invalid');
    expect(e.message).toContain('invalid.yaml');
  });

  test('the offending entry is named', async () => {
    const e = await loadError(await write('entry.yaml', 'users:\n  - { email: a@b.co, fullName: A }\n  - { email: c@b.co }\n'));
    expect(e.message).toContain('users[1].fullName');
  });

  test('startPlainEmulator checks an in-memory seed too', async () => {
    const bad = { users: [{ email: 'x' }] } as unknown as PlainSeed;
    await expect(startPlainEmulator({ seed: bad })).rejects.toBeInstanceOf(PmError);
  });
});
