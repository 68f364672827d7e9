/** `plain-migrate emulator --kind zendesk`, run in process (the command waits for SIGINT / SIGTERM). */
import { describe, expect, test } from 'vitest';
import { emulatorCommand } from '../../../src/cli/commands/emulator.js';
import type { Io } from '../../../src/cli/io.js';
import { BASIC } from './helpers.js';

function io(lines: string[]): Io {
  return { out: { write: (s: string) => lines.push(s) }, err: { write: () => true }, env: {}, cwd: process.cwd(), stdinIsTTY: false };
}

describe('plain-migrate emulator --kind zendesk', () => {
  test('serves the quickstart export with the limit flags and stops on SIGTERM', async () => {
    const out: string[] = [];
    const done = emulatorCommand(io(out), { kind: 'zendesk', port: '0', seed: 'examples/quickstart/export', rateLimit: '50', incrementalLimit: '3' });
    const url = await new Promise<string>((resolve, reject) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        const m = /^Zendesk emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(out[0] ?? '');
        if (m) resolve(m[1] as string);
        else if (Date.now() - t0 > 5000) reject(new Error(`no banner: ${out.join('')}`));
        else return;
        clearInterval(poll);
      }, 10);
    });
    expect(out[2]).toMatch(/^Inspect: GET http:\/\/127\.0\.0\.1:\d+\/__emulator\/state/);
    const r = await fetch(`${url}/api/v2/tickets/101.json`, { headers: { authorization: BASIC } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-rate-limit')).toBe('50');
    const cfg = (await (await fetch(`${url}/__emulator/config`)).json()) as Record<string, number>;
    expect(cfg).toMatchObject({ requestsPerMinute: 50, incrementalPerMinute: 3 });
    process.emit('SIGTERM');
    expect(await done).toBe(0);
  });

  test('--api-rate-limit is refused for zendesk, --incremental-limit for the others', async () => {
    await expect(emulatorCommand(io([]), { kind: 'zendesk', port: '0', apiRateLimit: '5' })).rejects.toThrow(/--api-rate-limit goes with --kind therethere/);
    await expect(emulatorCommand(io([]), { kind: 'plain', port: '0', incrementalLimit: '5' })).rejects.toThrow(/--incremental-limit goes with --kind zendesk/);
  });
});
