/**
 * A reader that goes away before the command has printed everything (`plain-migrate plan --help |
 * head -3`, `plain-migrate validate | head -1`): the rest of the output is dropped, with no stack trace,
 * and the command ends with the exit code it would have had. The pipe's read end is closed before the
 * child starts, so its first write always meets a closed pipe (EPIPE).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/plain-migrate.js');

function runWithStdoutClosed(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, PLAIN_API_KEY: 'k', PLAIN_ENDPOINT: 'http://127.0.0.1:1/graphql/v1', NO_COLOR: '1' },
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output to a pipe whose reader has gone', () => {
  it('help: exit 0, nothing on stderr', async () => {
    const r = await runWithStdoutClosed(['plan', '--help'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a command that reads a manifest: its own exit code, no stack trace', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-pipe-'));
    cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (s) => !s.includes('.plain-migrate') });
    const ok = await runWithStdoutClosed(['validate'], dir);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const bad = await runWithStdoutClosed(['-f', 'missing.yaml', 'validate'], dir);
    expect(bad.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(bad.stderr).toMatch(/^Error: /);
    expect(bad.code).toBe(1);
  });
});
