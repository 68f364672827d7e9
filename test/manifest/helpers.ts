/** Helpers for the manifest tests: write a manifest to a temp dir, load it, collect its problems. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { PmError } from '../../src/core/errors.js';
import { loadManifest, ManifestError, type LoadOptions, type Manifest } from '../../src/manifest/index.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/manifests');
export const ROOT = path.resolve(import.meta.dirname, '../..');

/** A minimal valid manifest; tests replace parts of it. */
export const BASE = `version: 1
name: test
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
sources:
  tickets:
    path: export/tickets.jsonl
  users:
    path: export/users.jsonl
    key: id
  comments:
    path: export/comments.jsonl
    groupBy: ticket_id
tables:
  agents:
    "sara@acme.com": u_01FSVKMHFDHJ3H5XFM20EMCBQN
threads:
  source: tickets
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: created_at
  customer:
    email: $record('users', requester_id).email
  messages:
    each: $records('comments', id)
    externalId: "'c-' & $string(id)"
    text: body
    createdAt: created_at
batching:
  concurrency: 8
`;

export const ENV: NodeJS.ProcessEnv = { PLAIN_API_KEY: 'plainApiKey_test' };

/** Writes `text` as plain-migrate.yaml in a fresh temp dir and returns its path. */
export function writeManifest(text: string, name = 'plain-migrate.yaml'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pm-manifest-'));
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export async function load(text: string, opts: LoadOptions = { env: ENV }): Promise<Manifest> {
  return loadManifest(writeManifest(text), opts);
}

/** Loads `text`, expecting a ManifestError; returns its problems. */
export async function problemsOf(text: string, opts: LoadOptions = { env: ENV }): Promise<readonly PmError[]> {
  const file = writeManifest(text);
  try {
    await loadManifest(file, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as ManifestError).problems;
  }
  throw new Error('expected the manifest to be refused');
}

/** Replaces the first occurrence of `from` in BASE, literally (fails loudly when absent). */
export function base(from: string, to: string): string {
  if (!BASE.includes(from)) throw new Error(`BASE does not contain ${from}`);
  return BASE.replace(from, () => to);
}

/** Every string a problem carries: for "no secret anywhere" checks. */
export function problemText(problems: readonly PmError[]): string {
  return problems.map((p) => [p.message, p.hint ?? '', p.path ?? '', p.code, JSON.stringify(p.location ?? {})].join('\n')).join('\n');
}
