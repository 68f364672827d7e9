/** loadThereThereSeed / checkThereThereSeed: the seed format and its errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isPmError, PmError } from '../../../src/core/errors.js';
import { checkThereThereSeed, loadThereThereSeed, startThereThereEmulator } from '../../../src/emulators/therethere/index.js';
import { tmp } from '../../sources/helpers.js';
import { call, ulid } from './helpers.js';

const { dir, cleanup } = tmp('therethere-seed-');
afterAll(cleanup);

/** Writes a seed file into the test's temporary directory; returns its path. */
function write(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const failure = async (run: () => unknown): Promise<PmError> => {
  try {
    await run();
  } catch (e) {
    if (isPmError(e)) return e;
    throw e;
  }
  throw new Error('expected a PmError');
};

describe('loadThereThereSeed', () => {
  test('reads YAML and JSON; the emulator serves what it seeds, with the same generated ULIDs after reset', async () => {
    const file = write(
      'seed.yaml',
      `workspace: { id: 3, name: Globex Help }
members:
  - { ulid: ${ulid('A')}, email: ann@globex.test, name: Ann }
  - { email: bo@globex.test, name: Bo, active: false, channels: [Email] }
channels: [{ name: Email, emailAddress: help@globex.test }, { ulid: ${ulid('2')}, name: Chat, type: widget }]
tags: [billing, { name: vip, color: "#00ff00" }]
tokens: [{ token: t1, admin: true }, { token: t2, member: ann@globex.test, multiWorkspace: true }]
contacts: [{ email: c@customer.test }]
`,
    );
    const seed = await loadThereThereSeed(file);
    expect(seed.members?.[1]).toEqual({ ulid: undefined, email: 'bo@globex.test', name: 'Bo', active: false, channels: ['Email'] });
    expect(seed.tags).toEqual(['billing', { ulid: undefined, name: 'vip', color: '#00ff00' }]);
    expect(seed.tokens?.[0]).toEqual({ token: 't1', admin: true, member: undefined, multiWorkspace: undefined });
    const json = write('seed.json', JSON.stringify({ channels: [{ name: 'Only' }] }));
    expect((await loadThereThereSeed(json)).channels).toEqual([{ ulid: undefined, name: 'Only', type: undefined, color: undefined }]);

    const emu = await startThereThereEmulator({ seed });
    try {
      const channels = (await call(emu, 'GET', '/api/channels', { token: 't1' })).body.data;
      expect(channels.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
        ['Email', 'email'],
        ['Chat', 'widget'],
      ]);
      expect(channels[1].ulid).toBe(ulid('2'));
      expect((await call(emu, 'GET', '/api/me', { token: 't1' })).body.data).toMatchObject({ user: { email: 'ann@globex.test' }, workspace: { id: 3, slug: 'globex-help' } });
      expect(emu.snapshot().contacts).toEqual([{ ulid: expect.any(String), email: 'c@customer.test', name: null }]);
      const before = emu.snapshot().contacts[0]?.ulid;
      emu.reset();
      expect(emu.snapshot().contacts[0]?.ulid).toBe(before);
      expect((await call(emu, 'GET', '/api/channels', { token: 't1' })).body.data[0].ulid).toBe(channels[0].ulid);
    } finally {
      await emu.close();
    }
  });

  test('without members, a workspace owner owns the tokens', async () => {
    const emu = await startThereThereEmulator({ seed: { channels: [{ name: 'Support' }] } });
    try {
      expect((await call(emu, 'GET', '/api/members', { token: 'x' })).body.data.map((m: { email: string }) => m.email)).toEqual(['owner@emulator.invalid']);
    } finally {
      await emu.close();
    }
  });

  test('an unreadable or unknown file', async () => {
    expect((await failure(() => loadThereThereSeed(join(dir, 'missing.yaml')))).code).toBe('emulator.seed-unreadable');
    const e = await failure(async () => loadThereThereSeed(write('seed.txt', '')));
    expect(e.message).toMatch(/unsupported extension/);
  });

  test('a YAML syntax error names the line', async () => {
    const e = await failure(async () => loadThereThereSeed(write('bad.yaml', 'members:\n  - { email: a@b.test, name: [\n')));
    expect(e.code).toBe('emulator.seed-invalid');
    expect(e.message).toMatch(/invalid YAML in There There emulator seed/);
    expect(e.location?.line).toBeGreaterThan(0);
  });
});

describe('seed errors name the entry', () => {
  const m = (email: string, extra: Record<string, unknown> = {}) => ({ email, name: 'N', ...extra });
  test.each<[string, unknown, RegExp]>([
    ['an unknown section', { users: [] }, /seed has unknown key "users"/],
    ['an unknown key', { members: [m('a@b.test', { role: 'admin' })] }, /members\[0\] has unknown key "role"/],
    ['a bad email', { members: [m('not-an-email')] }, /members\[0\]\.email "not-an-email" is not an email address/],
    ['a missing name', { members: [{ email: 'a@b.test' }] }, /members\[0\]\.name is required/],
    ['a bad ULID', { channels: [{ ulid: 'C1', name: 'x' }] }, /channels\[0\]\.ulid "C1" is not a ULID/],
    ['a ULID used twice', { channels: [{ ulid: ulid('1'), name: 'x' }], tags: [{ ulid: ulid('1'), name: 't' }] }, /ulid "01J00000000000000000000001" is used twice/],
    ['a repeated member email', { members: [m('a@b.test'), m('A@b.test')] }, /members\[1\]\.email "A@b\.test" repeats members\[0\]/],
    ['a repeated tag name', { tags: ['vip', 'VIP'] }, /tags\[1\]\.name "VIP" repeats tags\[0\]/],
    ['a repeated token', { tokens: [{ token: 'x' }, { token: 'x' }] }, /tokens\[1\]\.token "x" repeats tokens\[0\]/],
    ['a channel type', { channels: [{ name: 'x', type: 'phone' }] }, /channels\[0\]\.type "phone" must be email or widget/],
    ['a tag colour', { tags: [{ name: 'x', color: 'red' }] }, /tags\[0\]\.color "red" must be a colour/],
    ['a member channel that does not exist', { members: [m('a@b.test', { channels: ['Nope'] })] }, /members\[0\]\.channels\[0\] "Nope" names no seeded channel/],
    ['a token owner who is not a member', { members: [m('a@b.test')], tokens: [{ token: 't', member: 'x@b.test' }] }, /tokens\[0\]\.member "x@b\.test" is not the email of a seeded member/],
    ['a token owner who is deactivated', { members: [m('a@b.test'), m('c@b.test', { active: false })], tokens: [{ token: 't', member: 'c@b.test' }] }, /is not an active member/],
    ['no active member', { members: [m('a@b.test', { active: false })] }, /no active member/],
    ['a workspace id', { workspace: { id: 0 } }, /workspace\.id must be an integer ≥ 1/],
    ['a workspace slug', { workspace: { slug: 'Not A Slug' } }, /workspace\.slug "Not A Slug"/],
    ['admin not a boolean', { tokens: [{ token: 't', admin: 'yes' }] }, /tokens\[0\]\.admin must be true or false/],
  ])('%s', async (_, seed, message) => {
    const e = await failure(() => checkThereThereSeed(seed, 'seed.yaml'));
    expect(e.code).toBe('emulator.seed-invalid');
    expect(e.message).toMatch(/^invalid There There emulator seed seed\.yaml: /);
    expect(e.message).toMatch(message);
    expect(e.location?.file).toBe('seed.yaml');
  });

  test('startThereThereEmulator checks options.seed too', async () => {
    const e = await failure(() => startThereThereEmulator({ seed: { members: [{ email: 'bad', name: 'x' }] } }));
    expect(e.message).toMatch(/options\.seed/);
  });
});
