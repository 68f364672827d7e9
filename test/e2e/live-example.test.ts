/**
 * examples/zendesk-api against the Zendesk emulator seeded with the quickstart's export lands in Plain
 * exactly what examples/quickstart lands from the files — attachments too, byte for byte: fetched from
 * the emulator with the connection's credentials, through Zendesk's redirect to another origin that
 * refuses them.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { loadZendeskSeed, startZendeskEmulator } from '../../src/emulators/zendesk/index.js';
import { cli } from './cli.js';
import { normalize } from './normalize.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');

/** A copy of the example, with its request limits lifted (the emulators have none here): the test is about what lands. */
function copyOf(example: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pm-${example}-`));
  cpSync(join(EXAMPLES, example), dir, { recursive: true, filter: (src) => !src.includes('.plain-migrate') });
  const manifest = join(dir, 'plain-migrate.yaml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(/requestsPerMinute: \d+/g, 'requestsPerMinute: 100000'));
  return dir;
}

/** Each message's files as (name, size, sha256), by thread and message external id. */
function files(emu: PlainEmulator): Record<string, unknown> {
  const snap = emu.snapshot();
  const byId = new Map(snap.attachments.map((a) => [a.id, a]));
  const out: Record<string, unknown> = {};
  for (const t of snap.threads) {
    for (const m of t.messages) {
      if (m.attachmentIds.length === 0) continue;
      out[`${t.externalId}/${m.externalId}`] = m.attachmentIds.map((id) => {
        const a = byId.get(id)!;
        return [a.fileName, a.size, a.sha256, a.uploaded];
      });
    }
  }
  return out;
}

/** normalize(), with label types by name (VIP is created by each apply, under an id of its own). */
function landed(emu: PlainEmulator) {
  const snap = emu.snapshot();
  const name = new Map(snap.labelTypes.map((l) => [l.id, l.name]));
  const n = normalize(snap);
  return { ...n, threads: n.threads.map((t) => ({ ...t, labelTypeIds: t.labelTypeIds.map((id) => name.get(id) ?? id).sort() })) };
}

describe('examples/zendesk-api', () => {
  it('pulled from the Zendesk emulator, lands in Plain what the quickstart lands from its export, files included', async () => {
    const seed = await loadPlainSeed(join(EXAMPLES, 'quickstart/emulator-seed.yaml'));
    const fromFiles = await startPlainEmulator({ seed });
    const fromApi = await startPlainEmulator({ seed });
    const zd = await startZendeskEmulator({ seed: await loadZendeskSeed(join(EXAMPLES, 'quickstart/export')), apiToken: 'example-token', requestsPerMinute: 0 });
    try {
      const qs = copyOf('quickstart');
      const a = await cli(['apply', '--auto-approve'], { cwd: qs, endpoint: fromFiles.graphqlUrl, apiKey: 'demo-key' });
      expect(a.exitCode, a.stderr).toBe(0);
      const api = copyOf('zendesk-api');
      const b = await cli(['apply', '--auto-approve', '--output', 'plain'], {
        cwd: api,
        endpoint: fromApi.graphqlUrl,
        apiKey: 'demo-key',
        extraEnv: { ZENDESK_BASE_URL: zd.url, ZENDESK_API_TOKEN: 'example-token' },
      });
      expect(b.exitCode, b.stdout + b.stderr).toBe(0);
      expect(b.stdout).toMatch(/attachments: 9 uploaded/);
      expect(landed(fromApi)).toEqual(landed(fromFiles));
      expect(files(fromApi)).toEqual(files(fromFiles));
      expect(Object.keys(files(fromApi))).toHaveLength(9);
      // Every download went through the redirect, and none carried the credentials (the emulator refuses those).
      const log = zd.requests() as Array<{ operation?: string; status?: number }>;
      expect(log.filter((r) => r.operation === 'attachment').map((r) => r.status)).toEqual(Array(9).fill(302));
      expect(log.filter((r) => r.operation === 'attachment.download').map((r) => r.status)).toEqual(Array(9).fill(200));
    } finally {
      await Promise.all([fromFiles.close(), fromApi.close(), zd.close()]);
    }
  });
});
