/**
 * Secrets and trust: a recognisable API key (Plain) or token (There There) never reaches stdout, stderr, the state database, the
 * index cache or a plan file — through successes, failures, a 401, --output json and --refresh; TLS
 * certificates are verified.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from '../e2e/cli.js';
import { AGENTS, LABELS, makeWorkspace } from '../e2e/workspace.js';
import { startThereThereEmulator } from '../../src/emulators/therethere/index.js';
import { TT_SEED, makeThereThereWorkspace } from '../e2e/therethere-workspace.js';

const SECRET = 'plainApiKey_RECOGNISABLE_SECRET_0xC0FFEE';
const ALL = ['customer:create', 'customer:edit', 'customer:read', 'thread:import', 'thread:read', 'thread:edit', 'thread:assign', 'thread:unassign', 'label:create', 'label:delete'];

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS, apiKeys: [{ key: SECRET, permissions: ALL }] } });
});
afterAll(async () => {
  await emu?.close();
});

function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((f) => join(dir, f)).filter((p) => statSync(p).isFile());
}

describe('the API key', () => {
  it('appears nowhere: not in output, state, cache or plan files, through failures, json output and refresh', async () => {
    const ws = makeWorkspace({ tickets: 6, noEmail: [2] });
    // an unknown agent makes some messages fail with Plain's validation errors
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('_default: u_01HB924PME9C0YWKW1N4AK3B03', '_default: u_01HB924PME9C0YWKW1N4AK3B99'));
    const env = { cwd: ws.dir, endpoint: emu.graphqlUrl, apiKey: SECRET };
    const outputs: string[] = [];
    const run = async (args: string[], e = env) => {
      const r = await cli([...args, '-f', ws.manifest], e);
      outputs.push(r.stdout as string, r.stderr as string);
      return r;
    };
    await run(['validate', '--sample', '2']);
    await run(['plan', '--out', 'plan.json', '--json']);
    expect((await run(['apply', 'plan.json', '--output', 'json'])).exitCode).toBe(1); // some messages failed
    await run(['apply', '--auto-approve', '--output', 'plain']);
    await run(['plan', '--refresh']);
    await run(['state', 'errors', '--json']);
    await run(['state', 'show', '*']);
    // a wrong key: 401
    const wrong = await run(['apply', '--auto-approve'], { ...env, apiKey: `${SECRET}-wrong` });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/UNAUTHENTICATED|API key/);
    for (const o of outputs) {
      expect(o).not.toContain(SECRET);
    }
    for (const f of [...filesUnder(join(ws.dir, '.plain-migrate')), join(ws.dir, 'plan.json')]) {
      expect(readFileSync(f).includes(SECRET), f).toBe(false);
    }
  });
});

describe('the There There token', () => {
  it('appears nowhere: not in output, state, cache or plan files, through a 422, json output, refresh and a refused token', async () => {
    const SECRET_TT = 'tt_admin_RECOGNISABLE_SECRET_0xBEEF';
    const tt = await startThereThereEmulator({ seed: { ...TT_SEED, tokens: [{ token: SECRET_TT, admin: true, member: 'sara@acme.test' }] } });
    try {
      const ws = makeThereThereWorkspace({ tickets: 6 });
      // ticket 3's external_id is longer than There There keeps: its import is refused with a 422
      writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace(`externalId: "'zd-' & $string(id)"`, `externalId: "id = 3 ? 'zd-' & $pad('', 300, 'x') : 'zd-' & $string(id)"`));
      const outputs: string[] = [];
      const run = async (args: string[], token = SECRET_TT) => {
        const r = await cli([...args, '-f', ws.manifest], { cwd: ws.dir, extraEnv: { THERETHERE_TOKEN: token, THERETHERE_BASE_URL: tt.url } });
        outputs.push(String(r.stdout), String(r.stderr));
        return r;
      };
      await run(['validate', '--sample', '2']);
      await run(['plan', '--out', 'plan.json', '--json']);
      expect((await run(['apply', 'plan.json', '--output', 'json'])).exitCode).toBe(1); // the 422
      await run(['apply', '--auto-approve', '--output', 'plain']);
      await run(['plan', '--refresh']);
      await run(['state', 'errors', '--json']);
      await run(['state', 'show', '*']);
      const wrong = await run(['apply', '--auto-approve'], `${SECRET_TT}-wrong`);
      expect(wrong.exitCode).toBe(1);
      expect(tt.snapshot().tickets).toHaveLength(5);
      for (const o of outputs) expect(o).not.toContain(SECRET_TT);
      for (const f of [...filesUnder(join(ws.dir, '.plain-migrate')), join(ws.dir, 'plan.json')]) {
        expect(readFileSync(f).includes(SECRET_TT), f).toBe(false);
      }
    } finally {
      await tt.close();
    }
  });
});

describe('TLS', () => {
  it('a certificate that cannot be verified stops the run with a clear error, before anything is sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    let hits = 0;
    const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ws = makeWorkspace({ tickets: 2 });
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/graphql/v1`;
      const r = await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: url });
      expect(r.exitCode).toBe(1);
      expect(r.stdout + r.stderr).toMatch(/TLS certificate of the endpoint could not be verified \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/);
      expect(hits).toBe(0);
    } finally {
      server.close();
    }
  });

  it('NODE_TLS_REJECT_UNAUTHORIZED=0 is refused for a real endpoint', async () => {
    const ws = makeWorkspace({ tickets: 1 });
    const r = await cli(['apply', '--auto-approve', '-f', ws.manifest], {
      cwd: ws.dir,
      endpoint: 'https://core-api.uk.plain.com/graphql/v1',
      extraEnv: { NODE_TLS_REJECT_UNAUTHORIZED: '0' },
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
