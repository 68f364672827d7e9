import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadThereThereSeed, startThereThereEmulator } from '../../src/emulators/therethere/index.js';
import { loadManifest, type Expr, type Manifest } from '../../src/manifest/index.js';
import { interpolate } from '../../src/manifest/interpolate.js';
import { ThereThereClient, type ImportTicketBody } from '../../src/targets/therethere/client.js';
import { mapThereThereFile, type ThereThereMapped } from '../init/helpers.js';
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

// ---------------------------------------------------------------- examples/zendesk-to-therethere

const ZT = path.join(ROOT, 'examples/zendesk-to-therethere');
const TT_ENV = { THERETHERE_TOKEN: 'demo-token' };

/** Every file under `dir`, relative, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The example mapped from a copy in a temp dir (the source indexes' cache stays out of the repository). */
async function mapExample(): Promise<ThereThereMapped> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pm-zt-'));
  for (const f of ['plain-migrate.yaml', 'export']) cpSync(path.join(ZT, f), path.join(dir, f), { recursive: true });
  return mapThereThereFile(path.join(dir, 'plain-migrate.yaml'), TT_ENV, Date.now());
}

describe('examples/zendesk-to-therethere', () => {
  it("export/ is the quickstart's export, byte for byte, and copy-export.mjs makes it", () => {
    const ours = path.join(ZT, 'export');
    const theirs = path.join(QS, 'export');
    expect(filesUnder(ours)).toEqual(filesUnder(theirs));
    for (const f of filesUnder(theirs)) expect(readFileSync(path.join(ours, f)).equals(readFileSync(path.join(theirs, f))), f).toBe(true);
    // The script, run in a scratch tree of the same shape, reproduces it.
    const root = mkdtempSync(path.join(tmpdir(), 'pm-zt-copy-'));
    mkdirSync(path.join(root, 'examples', 'zendesk-to-therethere'), { recursive: true });
    cpSync(theirs, path.join(root, 'examples', 'quickstart', 'export'), { recursive: true });
    copyFileSync(path.join(ZT, 'copy-export.mjs'), path.join(root, 'examples', 'zendesk-to-therethere', 'copy-export.mjs'));
    execFileSync(process.execPath, [path.join(root, 'examples', 'zendesk-to-therethere', 'copy-export.mjs')], { stdio: 'pipe' });
    const made = path.join(root, 'examples', 'zendesk-to-therethere', 'export');
    expect(filesUnder(made)).toEqual(filesUnder(theirs));
    for (const f of filesUnder(theirs)) expect(readFileSync(path.join(made, f)).equals(readFileSync(path.join(theirs, f))), f).toBe(true);
  });

  it('the manifest validates against the schema file and loads: token from the environment, the emulator by default', async () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'plain-migrate.schema.json'), 'utf8')) as object;
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true }).compile(schema);
    // As the loader does: ${VAR} in string values expanded first (the schema's URL pattern does not take ${…}).
    const expand = (v: unknown): unknown =>
      typeof v === 'string'
        ? interpolate(v, TT_ENV).value
        : Array.isArray(v)
          ? v.map(expand)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]))
            : v;
    const doc = expand(parse(readFileSync(path.join(ZT, 'plain-migrate.yaml'), 'utf8'))) as { target: { therethere: Record<string, unknown> } };
    expect(doc.target.therethere).toMatchObject({ token: 'demo-token', baseUrl: 'http://127.0.0.1:4850' });
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    const f = path.join(ZT, 'plain-migrate.yaml');
    const m = await loadManifest(f, { env: TT_ENV });
    expect(m.name).toBe('zendesk-to-therethere');
    expect(m.target).toMatchObject({ kind: 'therethere', token: 'demo-token', tokenIsLiteral: false, baseUrl: 'http://127.0.0.1:4850', channel: 'Support', appendAs: 'note' });
    expect(m.batching.requestsPerMinute).toBe(300);
    expect(m.attachments?.maxBytes).toBe(25_000_000);
    const moved = await loadManifest(f, { env: { ...TT_ENV, THERETHERE_BASE_URL: 'https://there-there.app' } });
    expect(moved.target).toMatchObject({ baseUrl: 'https://there-there.app' });
    await expect(loadManifest(f, { env: {} })).rejects.toThrow();
  });

  it("its emulator seed loads with the There There emulator's loader, and has what the manifest names", async () => {
    const seed = await loadThereThereSeed(path.join(ZT, 'emulator-seed.yaml'));
    const m = await loadManifest(path.join(ZT, 'plain-migrate.yaml'), { env: TT_ENV });
    const target = m.target;
    if (target.kind !== 'therethere') throw new Error('not a There There target');
    expect(seed.channels?.filter((c) => c.name === target.channel)).toHaveLength(1);
    const active = new Set((seed.members ?? []).filter((x) => x.active !== false).map((x) => x.email));
    const agents = m.tables['agents']!;
    for (const email of agents.rows.values()) expect(active.has(String(email)), String(email)).toBe(true);
    expect(agents.defaultValue).toBeNull();
    // Leo left: a deactivated member, not in the table, so his replies keep his name.
    expect(seed.members?.find((x) => x.email === 'leo@acme.com')).toMatchObject({ name: 'Leo Hart', active: false });
    expect(agents.rows.has('leo@acme.com')).toBe(false);
    expect(seed.tokens).toEqual([expect.objectContaining({ token: TT_ENV.THERETHERE_TOKEN, admin: true })]);
    const seeded = new Set((seed.tags ?? []).map((t) => (typeof t === 'string' ? t : t.name)));
    const names = [...m.tables['labels']!.rows.values()].map(String);
    expect(names.filter((n) => !seeded.has(n))).toEqual(['VIP']);
  });

  it("maps the quickstart's export to There There's import values", async () => {
    const got = await mapExample();
    expect(got.filtered).toEqual(['export/tickets.jsonl:17']); // ticket 117, deleted
    expect(got.invalid).toEqual([
      { address: 'thread["zd-123"]', where: 'export/tickets.jsonl:23', reasons: [expect.stringMatching(/^threads\.customer\.email is required for a There There contact/)] },
    ]);
    expect(got.invalidMessages).toEqual([]);
    expect(got.diagnostics).toEqual([]);
    expect(got.tickets.size).toBe(38);
    const byId = (id: number) => got.tickets.get(`zd-${id}`)!;
    const statuses = new Map(tickets.map((t) => [t['id'], t['status']]));
    const want: Record<string, string> = { new: 'open', open: 'open', hold: 'open', pending: 'waiting', solved: 'closed', closed: 'closed' };
    for (const [id, t] of got.tickets) {
      const source = tickets.find((x) => `zd-${String(x['id'])}` === id)!;
      expect(t.status).toBe(want[String(statuses.get(source['id']))]);
      expect(t.closedAt === undefined).toBe(t.status !== 'closed');
      for (const msg of t.messages) expect(['inbound', 'outbound', 'note']).toContain(msg.type);
    }
    expect(byId(106).tags).toEqual(['billing', 'VIP']);
    expect(byId(101).tags).toEqual(['bug']); // mobile has no row
    // Leo (2004) left: his tickets are unassigned, his replies keep his name and email.
    const leoTickets = tickets.filter((t) => t['assignee_id'] === 2004 && got.tickets.has(`zd-${String(t['id'])}`));
    expect(leoTickets.length).toBeGreaterThan(0);
    for (const t of leoTickets) expect(byId(t['id'] as number).assignee).toBeUndefined();
    const leoIds = new Set(comments.filter((c) => c['author_id'] === 2004).map((c) => `zd-comment-${String(c['id'])}`));
    const leoMessages = [...got.tickets.values()].flatMap((t) => t.messages).filter((x) => leoIds.has(x.externalId));
    expect(leoMessages.length).toBeGreaterThan(0);
    for (const x of leoMessages) expect(x.author).toEqual({ email: 'leo@acme.com', name: 'Leo Hart' });
    expect(byId(102).assignee).toBe('tom@acme.com');
    // The files: the inline screenshot of 104, and 108's installer (There There has no banned types).
    const files = (id: number) => byId(id).messages.flatMap((x) => x.files);
    expect(files(104)).toEqual([expect.objectContaining({ fileName: 'screenshot.png', inline: true, path: 'export/attachments/5017/screenshot.png' })]);
    expect(files(108)).toEqual([expect.objectContaining({ fileName: 'setup.exe', path: 'export/attachments/5034/setup.exe' })]);
    expect(files(108)[0]!.skipped).toBeUndefined();
    expect(got.unmapped.map((u) => `${u.table}:${u.value}`).sort()).toEqual(['agents:leo@acme.com', 'labels:api', 'labels:mobile', 'labels:refund-request', 'labels:sso']);
  });

  it('what it maps to is accepted by the There There emulator seeded from emulator-seed.yaml, and a second import duplicates nothing', async () => {
    const got = await mapExample();
    const emu = await startThereThereEmulator({ seed: await loadThereThereSeed(path.join(ZT, 'emulator-seed.yaml')), importRateLimitPerMinute: 0 });
    try {
      const client = new ThereThereClient({ baseUrl: emu.url, token: TT_ENV.THERETHERE_TOKEN, requestTimeoutMs: 10_000 });
      const channel = (await client.listChannels()).find((c) => c.name === 'Support')!.ulid;
      const bodyOf = async (t: NonNullable<ReturnType<typeof got.tickets.get>>): Promise<ImportTicketBody> => ({
        channel,
        subject: t.subject,
        status: t.status,
        created_at: t.createdAt,
        ...(t.closedAt ? { closed_at: t.closedAt } : {}),
        external_id: t.externalId,
        ...(t.assignee ? { assignee_email: t.assignee } : {}),
        tags: t.tags,
        from_contact: { email: t.contact.email, ...(t.contact.name ? { name: t.contact.name } : {}) },
        messages: await Promise.all(
          t.messages.map(async (x) => {
            let body = x.body;
            const ids: string[] = [];
            for (const f of x.files) {
              const up = await client.uploadAttachment(path.join(got.manifest.dir, f.path!), f.fileName, f.contentType, f.size!);
              ids.push(up.token);
              if (f.inline) body = body.split(`cid:${f.fileName}`).join(`cid:${up.token}`);
            }
            return {
              type: x.type,
              body,
              created_at: x.createdAt,
              external_id: x.externalId,
              ...(x.type !== 'inbound' && x.author ? { author_email: x.author.email, ...(x.author.name ? { author_name: x.author.name } : {}) } : {}),
              ...(ids.length > 0 ? { attachment_ids: ids } : {}),
            };
          }),
        ),
      });
      for (const t of got.tickets.values()) expect((await client.importTicket(await bodyOf(t))).created, t.externalId).toBe(true);
      const snap = emu.snapshot();
      expect(snap.tickets).toHaveLength(38);
      const ticket = (id: number) => snap.tickets.find((x) => x.external_id === `zd-${id}`)!;
      expect(ticket(106).tags).toEqual(['billing', 'VIP']);
      for (const t of snap.tickets) expect(t.channel_ulid).toBe(channel);
      // Assignees are active members; Leo's tickets are unassigned.
      expect(new Set(snap.tickets.map((t) => t.assignee_email))).toEqual(new Set([null, 'sara@acme.com', 'tom@acme.com', 'priya@acme.com']));
      const messages = snap.tickets.flatMap((t) => t.messages);
      const leo = messages.filter((x) => x.author_email === 'leo@acme.com');
      expect(leo.length).toBeGreaterThan(0);
      for (const x of leo) expect(x.author_name).toBe('Leo Hart');
      const shot = ticket(104).messages.find((x) => x.attachments.length > 0)!;
      expect(shot.attachments.map((a) => a.name)).toEqual(['screenshot.png']);
      expect(shot.body_html).not.toContain('cid:');
      expect(ticket(108).messages.flatMap((x) => x.attachments.map((a) => a.name))).toEqual(['setup.exe']);
      // Importing again returns the existing tickets (external_id), changes and duplicates nothing.
      const first = got.tickets.values().next().value!;
      expect((await client.importTicket(await bodyOf(first))).created).toBe(false);
      expect(emu.snapshot().tickets).toHaveLength(38);
    } finally {
      await emu.close();
    }
  });
});
