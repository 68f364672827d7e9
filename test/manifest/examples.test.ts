import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadManifest, type Expr, type Manifest } from '../../src/manifest/index.js';
import { ROOT } from './helpers.js';

const QS = path.join(ROOT, 'examples/quickstart');
type Rec = Record<string, unknown>;
const readJsonl = (file: string): Rec[] =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);

const tickets = readJsonl(path.join(QS, 'export/tickets.jsonl'));
const users = readJsonl(path.join(QS, 'export/users.jsonl'));
const comments = readJsonl(path.join(QS, 'export/comments.jsonl'));
const seed = parse(readFileSync(path.join(QS, 'emulator-seed.yaml'), 'utf8')) as {
  users: Array<{ id: string; email: string; fullName: string }>;
  labelTypes: Array<{ id: string; name: string; archived?: boolean }>;
};

/** A stand-in for mapping/: just enough of $record, $records and $table to evaluate the quickstart. */
function bindings(m: Manifest, thread?: Rec): Record<string, unknown> {
  const table = (name: string, v: unknown): unknown => {
    const t = m.tables[name];
    if (!t) throw new Error(`no table ${name}`);
    const one = (x: unknown): unknown => (t.rows.has(String(x)) ? t.rows.get(String(x)) : t.defaultValue);
    return Array.isArray(v) ? v.map(one).filter((x) => x !== null) : one(v);
  };
  return {
    record: (s: string, k: unknown) => (s === 'users' ? users.find((u) => String(u['id']) === String(k)) : undefined),
    records: (s: string, k: unknown) => (s === 'comments' ? comments.filter((c) => String(c['ticket_id']) === String(k)) : []),
    table,
    thread,
  };
}

async function ev(m: Manifest, e: Expr | undefined, input: unknown, thread?: Rec): Promise<unknown> {
  if (!e) return undefined;
  if (e.constant) return e.constant.value;
  return e.compiled?.evaluate(input, bindings(m, thread));
}

describe('examples/quickstart', () => {
  it('the export has the documented shape', () => {
    expect(tickets).toHaveLength(40);
    expect(new Set(tickets.map((t) => t['status']))).toEqual(new Set(['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted']));
    expect(tickets.filter((t) => t['status'] === 'deleted').map((t) => t['id'])).toEqual([117]);
    expect(users.filter((u) => u['role'] === 'end-user')).toHaveLength(15);
    expect(users.filter((u) => u['role'] === 'agent')).toHaveLength(4);
    const perTicket = new Map<unknown, Rec[]>();
    for (const c of comments) perTicket.set(c['ticket_id'], [...(perTicket.get(c['ticket_id']) ?? []), c]);
    for (const t of tickets) {
      const cs = perTicket.get(t['id']) ?? [];
      expect(cs.length).toBeGreaterThanOrEqual(2);
      expect(cs.length).toBeLessThanOrEqual(8);
      for (const c of cs) expect(String(c['created_at']) > String(t['created_at'])).toBe(true);
      expect(String(t['created_at'])).toMatch(/^202[345]-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(comments.some((c) => c['public'] === false)).toBe(true);
    expect(comments.some((c) => String(c['html_body']).includes('<a href='))).toBe(true);
    expect(comments.some((c) => String(c['html_body']).includes('<li>'))).toBe(true);
  });

  it('the generator is deterministic and its output is committed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-qs-'));
    copyFileSync(path.join(QS, 'generate.mjs'), path.join(dir, 'generate.mjs'));
    execFileSync(process.execPath, [path.join(dir, 'generate.mjs')], { stdio: 'pipe' });
    for (const f of ['tickets.jsonl', 'users.jsonl', 'comments.jsonl']) {
      expect(readFileSync(path.join(dir, 'export', f), 'utf8')).toBe(readFileSync(path.join(QS, 'export', f), 'utf8'));
    }
    const files = (root: string) => readdirSync(path.join(root, 'export', 'attachments'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    const made = files(dir);
    expect(made.map((e) => e.name).sort()).toEqual(files(QS).map((e) => e.name).sort());
    for (const e of made) {
      const rel = path.relative(path.join(dir, 'export'), path.join(e.parentPath, e.name));
      expect(readFileSync(path.join(dir, 'export', rel)).equals(readFileSync(path.join(QS, 'export', rel)))).toBe(true);
    }
  });

  it("the tables name the seed's agents by email and its label types by name (VIP is created); the agent who left maps to _default", async () => {
    const m = await loadManifest(path.join(QS, 'plain-migrate.yaml'), { env: { PLAIN_API_KEY: 'demo-key' } });
    const seedUsers = new Set(seed.users.map((u) => u.email));
    const seedLabels = new Set(seed.labelTypes.filter((l) => !l.archived).map((l) => l.name));
    for (const email of m.tables['agents']?.rows.values() ?? []) expect(seedUsers.has(String(email))).toBe(true);
    expect(seedUsers.has(String(m.tables['agents']?.defaultValue))).toBe(true);
    const labels = [...(m.tables['labels']?.rows.values() ?? [])].map(String);
    expect(labels.filter((l) => !seedLabels.has(l))).toEqual(['VIP']);
    expect(m.target.kind === 'plain' && m.target.createMissingLabelTypes).toBe(true);
    for (const u of seed.users) expect(u.id).toMatch(/^u_[0-9A-HJKMNP-TV-Z]{26}$/);
    for (const l of seed.labelTypes) expect(l.id).toMatch(/^lt_[0-9A-HJKMNP-TV-Z]{26}$/);
    const leo = users.find((u) => u['email'] === 'leo@acme.com');
    expect(leo).toBeDefined();
    expect(m.tables['agents']?.rows.has('leo@acme.com')).toBe(false);
  });

  it('the manifest filters ticket 117 and leaves ticket 123 without a customer email', async () => {
    const m = await loadManifest(path.join(QS, 'plain-migrate.yaml'), { env: { PLAIN_API_KEY: 'demo-key' } });
    const t = m.threads;
    const kept: unknown[] = [];
    for (const ticket of tickets) if ((await ev(m, t.where, ticket)) === true) kept.push(ticket['id']);
    expect(kept).toHaveLength(39);
    expect(kept).not.toContain(117);
    const t123 = tickets.find((x) => x['id'] === 123);
    expect(t.customer.kind).toBe('fields');
    if (t.customer.kind === 'fields') {
      expect((await ev(m, t.customer.email, t123)) ?? null).toBeNull();
      expect(await ev(m, t.customer.email, tickets[0])).toBe('ann@example.com');
    }
    expect(await ev(m, t.status, tickets[0])).toEqual({ status: 'DONE', statusDetail: 'DONE_MANUALLY_SET' });
    const msgs = (await ev(m, t.messages?.each, tickets[0])) as Rec[];
    expect(msgs.length).toBeGreaterThanOrEqual(2);
    expect(await ev(m, t.messages?.type, msgs[0], tickets[0])).toBe('INBOUND');
  });
});
