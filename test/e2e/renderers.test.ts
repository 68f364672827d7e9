/**
 * The three renderers of one event stream, end to end: the live Ink view in a real terminal (tmux),
 * plain lines with a heartbeat per interval, and NDJSON on stdout.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { BIN, cli } from './cli.js';
import { AGENTS, LABELS, makeWorkspace } from './workspace.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS }, latencyMs: 15 });
});
afterAll(async () => {
  await emu?.close();
});

describe('--output plain', () => {
  it('writes one heartbeat per interval, never one line per request, and the summary', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 40, maxExtraComments: 30 });
    paced(ws.manifest, 1800);
    await lowRateLimit(1800);
    const began = Date.now();
    const r = await cli(['apply', '-f', ws.manifest, '--auto-approve', '--output', 'plain'], {
      cwd: ws.dir,
      endpoint: emu.graphqlUrl,
      extraEnv: { PLAIN_MIGRATE_HEARTBEAT_MS: '250' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const beats = lines.filter((l) => / progress: /.test(l));
    const requests = emu.requests().length;
    expect(requests).toBeGreaterThan(80);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect(beats.length).toBeLessThan(requests / 4);
    // one per interval at most (the whole command, start-up included, bounds the run)
    expect(beats.length).toBeLessThanOrEqual(Math.ceil((Date.now() - began) / 250) + 1);
    // every line is timestamped
    for (const l of beats) expect(Number.isNaN(Date.parse(l.split(' ')[0]!))).toBe(false);
    expect(r.stdout).toMatch(/Apply completed: customers: \d+ created/);
    expect(r.stdout).toMatch(/Requests sent: .*importThreadMessages \d+/);
    await lowRateLimit(0);
  });
});

describe('--output json', () => {
  it('writes NDJSON events with format_version on stdout, and people’s text on stderr', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 5, noEmail: [2] });
    const r = await cli(['apply', '-f', ws.manifest, '--auto-approve', '--output', 'json'], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(r.exitCode, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { format_version: number; type: string; [k: string]: unknown });
    expect(events.every((e) => e.format_version === 1)).toBe(true);
    expect(events[0]!.type).toBe('start');
    expect(events.at(-1)!.type).toBe('done');
    expect(events.filter((e) => e.type === 'resource' && e.kind === 'thread')).toHaveLength(4);
    expect(events.some((e) => e.type === 'invalid')).toBe(true);
    expect(r.stderr).toMatch(/^Plan: 4 threads to import/m);
  });
});

/** A long apply: the emulator enforces a low per-minute limit and the manifest paces to it. */
async function lowRateLimit(perMinute: number): Promise<void> {
  await fetch(`${emu.url}/__emulator/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ rateLimitPerMinute: perMinute }),
  });
}
const paced = (manifest: string, perMinute: number) =>
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('requestsPerMinute: 100000', `requestsPerMinute: ${perMinute}`));

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

describe('the live view in a terminal', () => {
  it.skipIf(!hasTmux)('shows the counts change, keeps the live region at a fixed height, and ends with the summary', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 40, maxExtraComments: 30 });
    // an agent who is not in Plain: many message failures, printed above the live region
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('"tom@acme.test": u_01HB924PME9C0YWKW1N4AK3B02', '"tom@acme.test": u_01HB924PME9C0YWKW1N4AK3B77'));
    paced(ws.manifest, 1800);
    await lowRateLimit(1800);
    const sock = `pm-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync('tmux', ['-L', sock, ...args], { encoding: 'utf8' });
    const cmd = `cd ${ws.dir} && env -u CI PLAIN_API_KEY=k PLAIN_ENDPOINT=${emu.graphqlUrl} ${process.execPath} ${BIN} apply --auto-approve; sleep 60`;
    tmux('new-session', '-d', '-s', 'apply', '-x', '120', '-y', '40', cmd);
    const frames: string[] = [];
    try {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const f = tmux('capture-pane', '-p', '-t', 'apply');
        frames.push(f);
        if (/Apply (completed|completed-with-failures) in/.test(f)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
      await lowRateLimit(0);
    }
    const live = frames.filter((f) => /plain-migrate apply · /.test(f) && /elapsed: /.test(f));
    expect(live.length).toBeGreaterThan(3);
    const heights = live.map((f) => {
      const lines = f.split('\n');
      const start = lines.findIndex((l) => l.startsWith('plain-migrate apply · '));
      const end = lines.findIndex((l) => l.startsWith('elapsed: '));
      return end - start + 1;
    });
    expect(new Set(heights)).toEqual(new Set([heights[0]]));
    const messageCounts = live.map((f) => /messages +\S+ (\d+)\//.exec(f)?.[1]).filter(Boolean);
    expect(new Set(messageCounts).size).toBeGreaterThan(1);
    const last = frames.at(-1)!;
    expect(last).toMatch(/Apply completed-with-failures in/);
    expect(last).toMatch(/FAILED message\[/);
  });
});
