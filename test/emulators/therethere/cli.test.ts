/** `plain-migrate emulator --kind therethere`, run as a user would (needs `npm run build`). */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BIN } from '../../e2e/cli.js';

describe('plain-migrate emulator --kind therethere', () => {
  test('serves the REST API with a seed and the rate-limit flags, and stops cleanly on SIGTERM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'therethere-cli-'));
    try {
      await writeFile(join(dir, 'seed.yaml'), 'channels: [{ name: Support }]\nmembers: [{ email: sara@acme.test, name: Sara }]\ntokens: [{ token: tt, admin: true }]\n');
      const child = execa(process.execPath, [BIN, 'emulator', '--kind', 'therethere', '--port', '0', '--seed', 'seed.yaml', '--rate-limit', '12', '--api-rate-limit', '34'], { cwd: dir, reject: false });
      const url = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout!.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /There There emulator listening on (http:\/\/127\.0\.0\.1:\d+)\/api/.exec(buf);
          if (m) resolve(m[1]!);
        });
        setTimeout(() => reject(new Error(`no URL in: ${buf}`)), 15_000);
      });
      const res = await fetch(`${url}/api/channels`, { headers: { authorization: 'Bearer tt', accept: 'application/json' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('34');
      expect(((await res.json()) as { data: { name: string }[] }).data.map((c) => c.name)).toEqual(['Support']);
      const cfg = (await (await fetch(`${url}/__emulator/config`)).json()) as Record<string, number>;
      expect(cfg).toEqual({ importRateLimitPerMinute: 12, apiRateLimitPerMinute: 34, latencyMs: 0 });
      child.kill('SIGTERM');
      expect((await child).exitCode).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('refuses an unknown kind, and --api-rate-limit for Plain; --help shows both kinds', async () => {
    const bad = await execa(process.execPath, [BIN, 'emulator', '--kind', 'kayako'], { reject: false, timeout: 20_000 });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/plain, therethere, zendesk, freshdesk, helpscout, (intercom|front|helpspot)/);
    const plain = await execa(process.execPath, [BIN, 'emulator', '--api-rate-limit', '5', '--port', '0'], { reject: false });
    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toMatch(/--api-rate-limit goes with --kind therethere/);
    const help = await execa(process.execPath, [BIN, 'emulator', '--help'], { reject: false });
    expect(help.stdout).toMatch(/--kind <kind>/);
    expect(help.stdout).toMatch(/emulator --kind therethere/);
  });
});
