/** `plain-migrate init --from zendesk --api`: a starter that pulls from the API, and maps what a pull brings. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadHelpSpotSeed, startHelpSpotEmulator } from '../../src/emulators/helpspot/index.js';
import { loadZendeskSeed, startZendeskEmulator } from '../../src/emulators/zendesk/index.js';
import { INIT_API_SOURCES, starterManifest } from '../../src/init/templates.js';
import { loadManifest, type LiveSourceDecl } from '../../src/manifest/index.js';
import { liveKinds } from '../../src/sources/live/registry.js';
import { INIT_FIXTURES } from './helpers.js';

async function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) }, env, cwd, stdinIsTTY: false };
  const code = await main(args, io);
  return { code, out, err };
}

const ENV = { ZENDESK_EMAIL: 'admin@acme.test', ZENDESK_API_TOKEN: 'zd-emulator-token', PLAIN_API_KEY: 'k', THERETHERE_TOKEN: 't' };

describe('init --from zendesk --api', () => {
  it.each(['plain', 'therethere'] as const)('writes a starter with a zendesk connection and three live sources (%s), which loads', async (target) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-api-'));
    const r = await run(['init', '--from', 'zendesk', '--api', '--target', target], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/pulled from its API/);
    expect(r.out).toContain('plain-migrate pull');
    expect(r.out).toContain('export ZENDESK_EMAIL=… ZENDESK_API_TOKEN=…, fill');
    const file = path.join(dir, 'plain-migrate.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(starterManifest('zendesk', target, { api: true }));
    const m = await loadManifest(file, { env: ENV, liveKinds });
    expect(Object.values(m.sources).map((s) => (s as LiveSourceDecl).snapshotStream)).toEqual(['zendesk.tickets', 'zendesk.users', 'zendesk.ticket_comments']);
    expect(m.connections['zendesk']).toMatchObject({ kind: 'zendesk', baseUrl: 'https://YOUR_SUBDOMAIN.zendesk.com' });
    // The same mapping as the file starter, with attachments by URL switched on.
    const mapping = (t: string) => t.slice(t.indexOf('\ntables:'));
    const fromFiles = mapping(starterManifest('zendesk', target));
    expect(mapping(text)).toBe(
      fromFiles.replace(`# attachments: "attachments.{ 'url'`, `attachments: "attachments.{ 'url'`).replaceAll('URLs need attachments.fetch headers', "fetched with the connection's credentials"),
    );
  });

  it('is offered for the helpdesks with a connection kind, not for csv', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-api-'));
    const r = await run(['init', '--from', 'csv', '--api'], dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--api is available for zendesk, [a-z, ]+ \(not yet csv\)/);
    // Every starter offered with --api is a helpdesk the registry has a connection kind for.
    for (const kind of INIT_API_SOURCES) expect(liveKinds.names()).toContain(kind);
  });

  it('pulled from the Zendesk emulator, the starter maps the records (validate --sample)', async () => {
    const zd = await startZendeskEmulator({ seed: await loadZendeskSeed(path.join(INIT_FIXTURES, 'zendesk/export')), hideLastSeconds: 0, minStartTimeLagSeconds: 0, incrementalPerMinute: 0 });
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-api-'));
      expect((await run(['init', '--from', 'zendesk', '--api'], dir)).code).toBe(0);
      const file = path.join(dir, 'plain-migrate.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('https://YOUR_SUBDOMAIN.zendesk.com', zd.url));
      const pulled = await run(['pull', '--output', 'plain'], dir, ENV);
      expect(pulled.code, pulled.err).toBe(0);
      expect(pulled.out).toMatch(/zendesk\.tickets: \d+ records/);
      const sample = await run(['validate', '--sample', '2'], dir, ENV);
      expect(sample.code, sample.err).toBe(0);
      expect(sample.out).toMatch(/source "tickets" \(zendesk\.tickets\)/);
      expect(sample.out).toMatch(/record: zendesk\.tickets\[id=\d+\]/);
      expect(sample.out).toMatch(/messages:/);
    } finally {
      await zd.close();
    }
  });
});

const HS_ENV = { HELPSPOT_TOKEN: 'hs-emulator-token', PLAIN_API_KEY: 'k', THERETHERE_TOKEN: 't' };

describe('init --from helpspot --api', () => {
  it.each(['plain', 'therethere'] as const)('writes a starter with a helpspot connection and three live sources (%s), which loads', async (target) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-api-'));
    const r = await run(['init', '--from', 'helpspot', '--api', '--target', target], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/pulled from its API/);
    expect(r.out).toContain('export HELPSPOT_TOKEN=…, fill');
    const file = path.join(dir, 'plain-migrate.yaml');
    const text = readFileSync(file, 'utf8');
    expect(text).toBe(starterManifest('helpspot', target, { api: true }));
    expect(text).toContain('token: ${HELPSPOT_TOKEN}');
    const m = await loadManifest(file, { env: HS_ENV, liveKinds });
    expect(Object.values(m.sources).map((s) => (s as LiveSourceDecl).snapshotStream)).toEqual(['helpspot.requests', 'helpspot.request_history', 'helpspot.staff']);
    expect(m.connections['helpspot']).toMatchObject({ kind: 'helpspot', baseUrl: 'https://YOUR_HOST' });
    // The same mapping as the file starter: history as a source of its own, the pull's deleted/spam flags, attachments on.
    const mapping = (t: string) => t.slice(t.indexOf('\ntables:'));
    const fromFiles = mapping(starterManifest('helpspot', target));
    expect(mapping(text)).toBe(
      fromFiles
        .replace(`# attachments: "files.file.{`, `attachments: "files.file.{`)
        .replace('private_url needs attachments.fetch headers: a staff login', "private_url is fetched with the connection's credentials")
        .replace("each: request_history.item            #", "each: $records('history', xRequest)   #")
        .replace("where: $not($string(fTrash) = '1') and $not($string(xStatus) = '2')   # trashed requests and spam (status 2) are left out", 'where: $not(deleted = true) and $not(spam = true)   # trashed requests and spam are left out'),
    );
  });

  it('pulled from the HelpSpot emulator, the starter maps the records (validate --sample)', async () => {
    const hs = await startHelpSpotEmulator({ seed: await loadHelpSpotSeed(path.join(INIT_FIXTURES, 'helpspot/export')) });
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'pm-init-api-'));
      expect((await run(['init', '--from', 'helpspot', '--api'], dir)).code).toBe(0);
      const file = path.join(dir, 'plain-migrate.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('https://YOUR_HOST ', `${hs.url} `));
      const pulled = await run(['pull', '--output', 'plain'], dir, HS_ENV);
      expect(pulled.code, pulled.err).toBe(0);
      expect(pulled.out).toMatch(/helpspot\.requests: 5 records/);
      const sample = await run(['validate', '--sample', '2'], dir, HS_ENV);
      expect(sample.code, sample.err).toBe(0);
      expect(sample.out).toMatch(/source "requests" \(helpspot\.requests\)/);
      expect(sample.out).toMatch(/record: helpspot\.requests\[id=601\]/);
      expect(sample.out).toMatch(/type: NOTE/);
      expect(sample.out).toMatch(/would be imported with 4 messages/);
      expect(sample.out).toMatch(/messages:/);
    } finally {
      await hs.close();
    }
  });
});
