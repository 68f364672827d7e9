/**
 * Test workspaces: a Zendesk-shaped export generated deterministically into a temp directory, its
 * manifest, and the emulator seed that matches it. Used by the end-to-end tests.
 */
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AGENTS = [
  { id: 'u_01HB924PME9C0YWKW1N4AK3B01', email: 'sara@acme.test', fullName: 'Sara Agent' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B02', email: 'tom@acme.test', fullName: 'Tom Agent' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B03', email: 'former@acme.test', fullName: 'Former Agent' },
];
export const LABELS = [
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZA', name: 'billing' },
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZB', name: 'bug' },
];

export interface Workspace {
  dir: string;
  manifest: string;
  seed: { users: typeof AGENTS; labelTypes: typeof LABELS };
  tickets: Ticket[];
  comments: Comment[];
  users: User[];
  addComment(c: Comment): void;
  /** Write tickets, users and comments back to the export files (a new export of the same helpdesk). */
  rewrite(): void;
}

export interface Ticket {
  id: number;
  subject: string;
  status: string;
  priority: string | null;
  requester_id: number;
  assignee_id: number | null;
  tags: string[];
  created_at: string;
}
export interface Comment {
  id: number;
  ticket_id: number;
  author_id: number;
  public: boolean;
  html_body: string;
  created_at: string;
}
export interface User {
  id: number;
  name: string;
  email: string | null;
}

const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low', null];
const TAGS = ['billing', 'bug', 'vip', 'feature'];

export const MANIFEST = `version: 1
name: e2e
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
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
    new:     { status: TODO, statusDetail: NEW_REPLY }
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    hold:    { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    solved:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }
  labels:
    billing: ${LABELS[0]!.id}
    bug: ${LABELS[1]!.id}
    _default: null
  agents:
    "sara@acme.test": ${AGENTS[0]!.id}
    "tom@acme.test": ${AGENTS[1]!.id}
    _default: ${AGENTS[2]!.id}
threads:
  source: tickets
  where: status != 'deleted'
  externalId: "'zd-' & $string(id)"
  title: subject
  externalUrl: "'https://acme.zendesk.com/agent/tickets/' & $string(id)"
  createdAt: created_at
  status: $table('status', status)
  priority: $table('priority', priority)
  labels: $table('labels', tags)
  assignee: "assignee_id ? $table('agents', $record('users', assignee_id).email) : null"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
    externalId: "'zd-user-' & $string(requester_id)"
  messages:
    each: $records('comments', id)
    externalId: "'zd-comment-' & $string(id)"
    type: "public ? (author_id = $thread.requester_id ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: $htmlToMarkdown(html_body)
    createdAt: created_at
    author: "author_id = $thread.requester_id ? null : $table('agents', $record('users', author_id).email)"
batching:
  messagesPerRequest: 25
  concurrency: 4
  requestsPerMinute: 100000
  maxAttempts: 8
  requestTimeout: 2s
`;

export interface WorkspaceOptions {
  tickets: number;
  /** comments per ticket = 1 + (i % maxExtraComments) */
  maxExtraComments?: number;
  /** ticket ids (1-based) whose requester has no email */
  noEmail?: number[];
  manifest?: string;
}

/** Agents are users 1..3 (emails as in AGENTS); customers are users 100+. */
export function makeWorkspace(o: WorkspaceOptions): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-'));
  mkdirSync(join(dir, 'export'));
  const users: User[] = AGENTS.map((a, i) => ({ id: i + 1, name: a.fullName, email: a.email }));
  const tickets: Ticket[] = [];
  const comments: Comment[] = [];
  const base = Date.parse('2023-01-01T00:00:00Z');
  let commentId = 1000;
  for (let i = 1; i <= o.tickets; i++) {
    const requester = 100 + (i % Math.max(1, Math.floor(o.tickets / 3)));
    if (!users.find((u) => u.id === requester)) {
      users.push({ id: requester, name: `Customer ${requester}`, email: `customer${requester}@example.test` });
    }
    const created = base + i * 3_600_000;
    tickets.push({
      id: i,
      subject: `Ticket ${i}: something is wrong`,
      status: i % 17 === 0 ? 'deleted' : STATUSES[i % STATUSES.length]!,
      priority: PRIORITIES[i % PRIORITIES.length]!,
      requester_id: requester,
      assignee_id: i % 4 === 0 ? null : (i % 3) + 1,
      tags: [TAGS[i % TAGS.length]!, TAGS[(i + 1) % TAGS.length]!],
      created_at: new Date(created).toISOString(),
    });
    const n = 1 + (i % (o.maxExtraComments ?? 4));
    for (let k = 0; k < n; k++) {
      const byCustomer = k % 2 === 0;
      comments.push({
        id: ++commentId,
        ticket_id: i,
        author_id: byCustomer ? requester : (k % 3) + 1,
        public: !(k % 4 === 3),
        html_body: `<p>Message ${k} on <b>ticket ${i}</b></p><ul><li>detail &amp; more</li></ul>`,
        created_at: new Date(created + (k + 1) * 60_000).toISOString(),
      });
    }
  }
  for (const t of o.noEmail ?? []) {
    const ticket = tickets[t - 1]!;
    const uid = 90_000 + t;
    users.push({ id: uid, name: 'No Email', email: null });
    ticket.requester_id = uid;
    for (const c of comments) if (c.ticket_id === t && c.author_id >= 100) c.author_id = uid;
  }
  // Comments are written in reverse so that the engine has to order them itself.
  const lines = (xs: unknown[]) => xs.map((x) => JSON.stringify(x)).join('\n') + '\n';
  writeFileSync(join(dir, 'export/tickets.jsonl'), lines(tickets));
  writeFileSync(join(dir, 'export/users.jsonl'), lines(users));
  writeFileSync(join(dir, 'export/comments.jsonl'), lines([...comments].reverse()));
  const manifest = join(dir, 'plain-migrate.yaml');
  writeFileSync(manifest, o.manifest ?? MANIFEST);
  return {
    dir,
    manifest,
    seed: { users: AGENTS, labelTypes: LABELS },
    tickets,
    comments,
    users,
    addComment(c: Comment) {
      comments.push(c);
      appendFileSync(join(dir, 'export/comments.jsonl'), JSON.stringify(c) + '\n');
    },
    rewrite() {
      writeFileSync(join(dir, 'export/tickets.jsonl'), lines(this.tickets));
      writeFileSync(join(dir, 'export/users.jsonl'), lines(this.users));
      writeFileSync(join(dir, 'export/comments.jsonl'), lines([...this.comments].reverse()));
    },
  };
}
