/**
 * examples/zendesk-to-therethere, as its README tells a user to try it: the There There emulator
 * seeded from the example's emulator-seed.yaml, then validate, plan and apply with the built CLI,
 * and a second plan with nothing to do. Run on a copy, so that the example's directory gets no state.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadThereThereSeed, startThereThereEmulator, type ThereThereEmulator } from '../../src/emulators/therethere/index.js';
import { cli } from './cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLE = path.join(ROOT, 'examples/zendesk-to-therethere');

let emu: ThereThereEmulator;
let dir: string;
beforeAll(async () => {
  emu = await startThereThereEmulator({ seed: await loadThereThereSeed(path.join(EXAMPLE, 'emulator-seed.yaml')) });
  dir = mkdtempSync(path.join(tmpdir(), 'pm-zt-e2e-'));
  for (const f of ['plain-migrate.yaml', 'export']) cpSync(path.join(EXAMPLE, f), path.join(dir, f), { recursive: true });
});
afterAll(async () => {
  await emu?.close();
});

const run = (args: string[]) =>
  cli([...args, '-f', 'plain-migrate.yaml', '--no-color'], { cwd: dir, extraEnv: { THERETHERE_TOKEN: 'demo-token', THERETHERE_BASE_URL: emu.url } });

describe('examples/zendesk-to-therethere, as its README says to try it', () => {
  it('validates, plans 38 imports and 1 invalid, applies them, and plans nothing more', async () => {
    const v = await run(['validate']);
    expect(v.exitCode, String(v.stdout) + String(v.stderr)).toBe(0);

    const p = await run(['plan']);
    const planned = String(p.stdout);
    expect(p.exitCode, planned + String(p.stderr)).toBe(0);
    expect(planned).toMatch(/Plan: 38 threads to import \(\d+ messages\), 0 to update, 0 to append \(0 messages\), 1 invalid, 0 orphaned, 0 unchanged\./);
    expect(planned).toContain('thread["zd-123"]');

    const a = await run(['apply', '--auto-approve', '--output', 'plain']);
    const applied = String(a.stdout);
    // the invalid record is reported, not a failure (exit 1 only with --strict)
    expect(a.exitCode, applied + String(a.stderr)).toBe(0);
    expect(applied).toMatch(/Apply completed: threads: 38 created, 0 noop, 0 failed \| messages: \d+ created, 0 noop, 0 failed/);
    const store = emu.snapshot();
    expect(store.tickets).toHaveLength(38);
    expect(new Set(store.tickets.map((t) => t.external_id)).size).toBe(38);
    // ticket 104's inline screenshot arrived as a file of its message, referenced from the body
    const t104 = store.tickets.find((t) => t.external_id === 'zd-104')!;
    const withImage = t104.messages.find((m) => m.attachments.some((f) => f.name === 'screenshot.png'))!;
    expect(withImage.body_html).toMatch(new RegExp(`<img [^>]*src="${emu.url}/api/inline-images/`));
    // Leo has left: his replies keep his name and email, and are nobody's in the workspace
    expect(store.tickets.flatMap((t) => t.messages).some((m) => m.author_email === 'leo@acme.com' && m.author_name === 'Leo Hart')).toBe(true);

    const again = await run(['plan']);
    expect(String(again.stdout)).toContain('Plan: 0 threads to import (0 messages), 0 to update, 0 to append (0 messages), 1 invalid, 0 orphaned, 38 unchanged.');
  });
});
