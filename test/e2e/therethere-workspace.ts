/**
 * There There end-to-end workspaces: the same generated Zendesk-shaped export as workspace.ts
 * (makeWorkspace), with a There There manifest, the There There emulator's seed that matches it, the
 * CLI run against the emulator, and the store as the manifest should make it — computed independently
 * from the export — so that tests compare whole stores. Used by test/e2e/therethere.test.ts and
 * test/reliability/therethere.test.ts.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ThereThereEmulator, ThereThereSeed, ThereThereStateSnapshot } from '../../src/emulators/therethere/index.js';
import { cli } from './cli.js';
import { makeWorkspace, type Comment, type Workspace, type WorkspaceOptions } from './workspace.js';

export const TT_TOKEN = 'tt-e2e-admin-token';
/** A ULID: "01J" + 22 zeros + one distinguishing Crockford character. */
const ulid = (ch: string): string => `01J${'0'.repeat(22)}${ch}`;
export const TT_CHANNEL = ulid('1');

/**
 * The workspace: the migration's own member owns the token (notes are posted as the token's owner);
 * Sara and Tom are members under other names than the export's, so that a message attributed to the
 * member shows the member's name; the agent who left is deactivated, so his messages keep the export's
 * {email, name}.
 */
export const TT_SEED: ThereThereSeed = {
  workspace: { id: 3, name: 'Acme Support', slug: 'acme' },
  channels: [
    { ulid: TT_CHANNEL, name: 'Support', emailAddress: 'support@acme.test' },
    { ulid: ulid('2'), name: 'Sales', type: 'widget' },
  ],
  members: [
    { ulid: ulid('A'), email: 'migration@acme.test', name: 'Migration Bot' },
    { ulid: ulid('B'), email: 'sara@acme.test', name: 'Sara Lind' },
    { ulid: ulid('C'), email: 'tom@acme.test', name: 'Tom Becker' },
    { ulid: ulid('D'), email: 'former@acme.test', name: 'Former Member', active: false },
  ],
  tags: [{ ulid: ulid('E'), name: 'billing' }, { ulid: ulid('F'), name: 'bug' }],
  tokens: [{ token: TT_TOKEN, admin: true, member: 'migration@acme.test' }],
};
export const MEMBER_NAMES: Record<string, string> = { 'sara@acme.test': 'Sara Lind', 'tom@acme.test': 'Tom Becker' };

/** One day after creation: closed tickets' closed_at (after every generated comment). */
const CLOSED_AFTER_MS = 86_400_000;

export interface ThereThereManifestOptions {
  appendAs?: 'note' | 'skip';
  /** attachments.maxBytes */
  maxBytes?: number;
  /** threads.labels (default: the labels table) */
  labels?: string;
  maxAttempts?: number;
}

/**
 * For makeWorkspace's export: statuses onto There There's four, tags by name (vip → VIP, created on
 * import; feature dropped), agents by email (the one who left maps to null: tickets unassigned, his
 * messages keep his {email, name}), files by local path.
 */
export const thereThereManifest = (o: ThereThereManifestOptions = {}): string => `version: 1
name: e2e-therethere
target:
  therethere:
    token: \${THERETHERE_TOKEN}
    baseUrl: \${THERETHERE_BASE_URL}
    channel: Support
    appendAs: ${o.appendAs ?? 'note'}
attachments:
  maxBytes: ${o.maxBytes ?? 25_000_000}
  onSkip: note
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
  status:
    new: open
    open: open
    hold: open
    pending: waiting
    solved: closed
    closed: closed
    weird: pending
  labels:
    billing: billing
    bug: bug
    vip: VIP
    _default: null
  agents:
    "sara@acme.test": sara@acme.test
    "tom@acme.test": tom@acme.test
    _default: null
threads:
  source: tickets
  where: status != 'deleted'
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: created_at
  status: $table('status', status)
  closedAt: $fromMillis($toMillis(created_at) + ${CLOSED_AFTER_MS})
  labels: ${o.labels ?? "$table('labels', tags)"}
  assignee: "assignee_id ? $table('agents', $record('users', assignee_id).email) : null"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
  messages:
    each: $records('comments', id)
    externalId: "'zd-comment-' & $string(id)"
    type: "public ? (author_id = $thread.requester_id ? 'inbound' : 'outbound') : 'note'"
    text: html_body
    createdAt: created_at
    author: |
      author_id = $thread.requester_id
        ? null
        : (
            $user := $record('users', author_id);
            $member := $table('agents', $user.email);
            { 'email': $member ? $member : $user.email, 'name': $user.name }
          )
    attachments: "files.{ 'path': path, 'fileName': name, 'size': size, 'inline': inline }"
batching:
  concurrency: 4
  requestsPerMinute: 100000
  maxAttempts: ${o.maxAttempts ?? 8}
  requestTimeout: 2s
`;

export function makeThereThereWorkspace(o: Omit<WorkspaceOptions, 'manifest'> & { manifest?: ThereThereManifestOptions }): Workspace {
  return makeWorkspace({ ...o, manifest: thereThereManifest(o.manifest) });
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export interface ExportFile {
  name: string;
  bytes: Buffer;
  inline?: boolean;
  /** The export's size hint; default none (the bytes decide). */
  size?: number;
}

/**
 * Gives a comment files, as an export with downloaded attachments has them: written under
 * files/<comment id>/ in the workspace and listed in the comment's `files` ({path, name, size?,
 * inline?}, what the manifest's messages.attachments reads). Call ws.rewrite() afterwards.
 */
export function attachFiles(ws: Workspace, comment: Comment, files: ExportFile[]): void {
  const dir = join(ws.dir, 'files', String(comment.id));
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.name), f.bytes);
  Object.assign(comment, {
    files: files.map((f) => ({ path: `files/${comment.id}/${f.name}`, name: f.name, ...(f.size !== undefined ? { size: f.size } : {}), ...(f.inline ? { inline: true } : {}) })),
  });
}

/**
 * Gives a ticket `total` comments: after its own, the customer and Sara take turns, and every tenth is
 * an internal note by the agent who left; one minute apart. Call ws.rewrite() afterwards.
 */
export function growTicket(ws: Workspace, ticketId: number, total: number, firstId = 500_000): Comment[] {
  const t = ws.tickets.find((x) => x.id === ticketId)!;
  const have = ws.comments.filter((c) => c.ticket_id === ticketId);
  const start = Math.max(...have.map((c) => Date.parse(c.created_at))) + 60_000;
  const added: Comment[] = [];
  for (let k = 0; have.length + k < total; k++) {
    const note = k % 10 === 9;
    added.push({
      id: firstId + k,
      ticket_id: ticketId,
      author_id: note ? 3 : k % 2 === 0 ? t.requester_id : 1,
      public: !note,
      html_body: `<p>Long thread, reply ${k}</p>`,
      created_at: new Date(start + k * 60_000).toISOString(),
    });
  }
  ws.comments.push(...added);
  return added;
}

/** The built CLI against the emulator: `args` then `-f <manifest>`. */
export function tt(ws: Workspace, emu: ThereThereEmulator, args: string[]) {
  return cli([...args, '-f', ws.manifest], { cwd: ws.dir, extraEnv: { THERETHERE_TOKEN: TT_TOKEN, THERETHERE_BASE_URL: emu.url } });
}

export interface RunEvent {
  type: string;
  outcome?: string;
  kind?: string;
  address?: string;
  operation?: string;
  counts?: Record<string, Record<string, number>>;
  error?: { code: string; message: string; type: string };
  reasons?: string[];
  requests?: Record<string, number>;
}

/** `apply --auto-approve --output json`: the exit code, the events, and the output for messages. */
export async function applyJson(ws: Workspace, emu: ThereThereEmulator, extra: string[] = []) {
  const r = await tt(ws, emu, ['apply', '--auto-approve', '--output', 'json', ...extra]);
  const stdout = String(r.stdout);
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
  return { exitCode: r.exitCode, events, log: `${stdout.slice(-3000)}\n${String(r.stderr)}`, done: events.find((e) => e.type === 'done') };
}

/** POST /__emulator/<path> (faults, config). */
export async function control(emu: ThereThereEmulator, path: string, body: unknown): Promise<void> {
  const r = await fetch(`${emu.url}/__emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
}

/** How many times the emulator's fault rules fired since they were set. */
export async function faultsFired(emu: ThereThereEmulator): Promise<number> {
  const { rules } = (await (await fetch(`${emu.url}/__emulator/faults`)).json()) as { rules: Array<{ fired: number }> };
  return rules.reduce((n, x) => n + x.fired, 0);
}

/** The requests the emulator logged, as "METHOD /path" with ticket and tag ULIDs replaced by `:id`. */
export const routes = (emu: ThereThereEmulator, from = 0): string[] =>
  emu
    .requests()
    .slice(from)
    .map((r) => `${r.method} ${r.path.replace(/\/[0-9A-HJKMNP-TV-Z]{26}/g, '/:id')}`);

/** How the target heads a message it posts as a note (target.ts noteHeader). */
export const NOTE_HEADER = '<p><em>Imported message (';

/**
 * The store without what the emulator generates (ULIDs, its URL in rewritten inline images), tickets
 * by external id, tags and contacts sorted: two runs that did the same are equal.
 */
export function normalizeTT(s: ThereThereStateSnapshot, emuUrl?: string) {
  const strip = (html: string) => (emuUrl ? html.split(emuUrl).join('<emulator>') : html).replace(/\/[0-9A-HJKMNP-TV-Z]{26}\b/g, '/<ulid>');
  return {
    contacts: s.contacts.map((c) => ({ email: c.email, name: c.name })).sort((a, b) => a.email.localeCompare(b.email)),
    tickets: s.tickets
      .map((t) => ({
        external_id: t.external_id,
        subject: t.subject,
        status: t.status as string,
        channel_ulid: t.channel_ulid,
        assignee_email: t.assignee_email,
        tags: [...t.tags].sort(),
        contact_email: t.contact_email,
        created_at: t.created_at,
        closed_at: t.closed_at,
        messages: t.messages.map((m) => ({
          type: m.type as string,
          body_html: strip(m.body_html),
          // a note posted after the import is dated when it was posted
          created_at: m.body_html.startsWith(NOTE_HEADER) ? '<posted>' : m.created_at,
          author_email: m.author_email,
          author_name: m.author_name,
          attachments: m.attachments,
        })),
      }))
      .sort((a, b) => String(a.external_id).localeCompare(String(b.external_id))),
  };
}
export type TTStore = ReturnType<typeof normalizeTT>;

/** ISO 8601 as There There writes it: whole seconds, +00:00. */
export const ttTime = (iso: string): string => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString().replace('.000Z', '+00:00');

const STATUS: Record<string, string> = { new: 'open', open: 'open', hold: 'open', pending: 'waiting', solved: 'closed', closed: 'closed' };
const TAG: Record<string, string> = { billing: 'billing', bug: 'bug', vip: 'VIP' };

/** What thereThereManifest() should make of makeWorkspace's export, computed from the export alone. */
export function expectedTT(ws: Workspace): TTStore {
  const users = new Map(ws.users.map((u) => [u.id, u]));
  const tickets = ws.tickets.filter((t) => t.status !== 'deleted');
  const requesters = new Map(tickets.map((t) => [users.get(t.requester_id)!.email!, users.get(t.requester_id)!.name]));
  return {
    contacts: [...requesters].map(([email, name]) => ({ email, name })).sort((a, b) => a.email.localeCompare(b.email)),
    tickets: tickets
      .map((t) => {
        const customer = users.get(t.requester_id)!;
        const assignee = t.assignee_id === null ? undefined : users.get(t.assignee_id)!.email!;
        return {
          external_id: `zd-${t.id}`,
          subject: t.subject,
          status: STATUS[t.status]!,
          channel_ulid: TT_CHANNEL,
          assignee_email: assignee !== undefined && MEMBER_NAMES[assignee] ? assignee : null,
          tags: [...new Set(t.tags.map((x) => TAG[x]).filter((x): x is string => x !== undefined))].sort(),
          contact_email: customer.email!,
          created_at: ttTime(t.created_at),
          closed_at: STATUS[t.status] === 'closed' ? ttTime(new Date(Date.parse(t.created_at) + CLOSED_AFTER_MS).toISOString()) : null,
          messages: ws.comments
            .filter((c) => c.ticket_id === t.id)
            .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
            .map((c) => {
              const inbound = c.public && c.author_id === t.requester_id;
              const author = users.get(c.author_id)!;
              const member = MEMBER_NAMES[author.email ?? ''];
              return {
                type: !c.public ? 'note' : inbound ? 'inbound' : 'outbound',
                body_html: c.html_body,
                created_at: ttTime(c.created_at),
                author_email: inbound ? customer.email : author.email,
                // a member is named as There There knows them; the agent who left keeps the export's name
                author_name: inbound ? customer.name : (member ?? author.name),
                attachments: [] as Array<{ name: string; size: number; sha256: string }>,
              };
            }),
        };
      })
      .sort((a, b) => a.external_id.localeCompare(b.external_id)),
  };
}

/** Every ticket once per external id, every imported message once per ticket. */
export function expectNoDuplicateTickets(s: ThereThereStateSnapshot): void {
  const ids = s.tickets.map((t) => t.external_id);
  expect(new Set(ids).size, 'a ticket imported twice').toBe(ids.length);
  for (const t of s.tickets) {
    const keys = t.messages.map((m) => `${m.type}|${m.created_at}|${m.body_html}`);
    expect(new Set(keys).size, `a message twice in ${t.external_id}`).toBe(keys.length);
  }
  const emails = s.contacts.map((c) => c.email.toLowerCase());
  expect(new Set(emails).size, 'a contact twice').toBe(emails.length);
}
