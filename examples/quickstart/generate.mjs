#!/usr/bin/env node
// Generates the quickstart's Zendesk-shaped export (export/*.jsonl). Deterministic: a fixed-seed PRNG,
// so running it again reproduces the committed files byte for byte.
//
//   node examples/quickstart/generate.mjs
//
// Shape: 40 tickets (ids 101..140), 15 end-users + 4 agents, 2–8 comments per ticket.
// - ticket 117 has status "deleted": the manifest's `where` filters it out.
// - ticket 123 is requested by user 1015, who has no email: the plan reports it as invalid.
// - agent 2004 (Leo) has left: he is not in the agents table, so his tickets and replies map to `_default`.
// - some first comments carry files, downloaded next to the export (export/attachments/<comment>/<file>,
//   named by `local_path`): an invoice PDF on every fifth ticket, an inline screenshot (cid:) on ticket
//   104, and an installer (setup.exe, a type Plain refuses) on ticket 108.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'export');

// mulberry32: a tiny seeded PRNG.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20240607);
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

const DELETED_TICKET = 117;
const INVALID_TICKET = 123;
const NO_EMAIL_USER = 1015;

const endUsers = [
  ['Ann Example', 'ann@example.com'],
  ['Bruno Díaz', 'bruno@diaz-logistics.es'],
  ['Chloé Martin', 'chloe.martin@atelier-bleu.fr'],
  ['Dev Patel', 'dev@patel.dev'],
  ['Emma Johansson', 'emma.j@nordicsupply.se'],
  ['Farah Haddad', 'farah@haddad.io'],
  ['George O\'Neill', 'george.oneill@example.org'],
  ['Hana Sato', 'hana.sato@example.jp'],
  ['Ivan Petrov', 'ivan@petrov.example'],
  ['Julia Rossi', 'julia.rossi@studio-rossi.it'],
  ['Kwame Mensah', 'kwame@mensah.example'],
  ['Laura Smith', 'laura.smith@example.com'],
  ['Mateo García', 'mateo@garcia.example'],
  ['Nina Novak', 'nina@novak.example'],
  ['Walk-in caller', null], // no email: a customer Plain cannot create
].map(([name, email], i) => ({ id: 1001 + i, name, email, role: 'end-user', active: true, organization_id: null }));

const agents = [
  { id: 2001, name: 'Sara Lind', email: 'sara@acme.com' },
  { id: 2002, name: 'Tom Becker', email: 'tom@acme.com' },
  { id: 2003, name: 'Priya Raman', email: 'priya@acme.com' },
  { id: 2004, name: 'Leo Hart', email: 'leo@acme.com' }, // left the company: not in the agents table
].map((a) => ({ ...a, role: 'agent', active: a.id !== 2004, organization_id: null }));

const subjects = [
  'Invoice shows the wrong VAT number',
  'Cannot log in after password reset',
  'Feature request: export reports to CSV',
  'Charged twice for the March subscription',
  'Webhook retries are not arriving',
  'How do I add a second admin?',
  'Mobile app crashes when uploading a photo',
  'Refund for the annual plan',
  'Dark mode for the dashboard?',
  'API returns 500 on /v2/orders',
  'Change the billing email address',
  'SSO with Okta: "invalid audience"',
  'Search ignores accented characters',
  'Please delete my account',
  'Timezone wrong on scheduled reports',
  'Spam test ticket',
  'Upgrade from Team to Business',
  'CSV import skips rows with quotes',
  'Two-factor codes arrive late',
  'Can we get an SLA addendum?',
  'Receipt PDF is blank',
  'Slack integration posts duplicates',
  'Missing data after migration',
  'Request: keyboard shortcuts for triage',
  'Card declined but bank says fine',
  'Rate limit hit on bulk endpoint',
  'Typo in the welcome email',
  'Seats not released after removing users',
  'Custom domain SSL certificate expired',
  'Bulk edit tags on 200 records',
  'Payment method update fails on Safari',
  'Feature: per-project permissions',
  'Dashboard loads slowly in the morning',
  'Need a W-9 form',
  'Wrong currency on the pricing page',
  'Password reset email never arrives',
  'Integration token rotated — now 401',
  'Is there an on-prem version?',
  'Charts show empty state after update',
  'Coupon code not applied at checkout',
];

const statuses = ['new', 'open', 'pending', 'hold', 'solved', 'closed', 'solved', 'closed', 'closed', 'open'];
const priorities = ['urgent', 'high', 'normal', 'normal', 'low', null];
const mappedTags = ['billing', 'bug', 'feature', 'question'];
const unmappedTags = ['vip', 'refund-request', 'mobile', 'sso', 'api'];

const start = Date.UTC(2023, 0, 3, 8, 0, 0);
const end = Date.UTC(2025, 5, 20, 18, 0, 0);

const customerReplies = [
  (s) => `<p>Hi,</p><p>${s}. Could you take a look?</p><p>Thanks,<br>%NAME%</p>`,
  () => `<p>Thanks for the quick reply &mdash; that worked!</p>`,
  () => `<p>Still happening, I&#39;m afraid. Steps:</p><ol><li>Open the dashboard</li><li>Click <strong>Reports</strong></li><li>Wait &gt; 30s</li></ol>`,
  () => `<p>Attached a screenshot. Is there an ETA?</p>`,
  () => `<p>Any update on this? It&#39;s blocking our month-end close.</p>`,
];
const agentReplies = [
  () => `<p>Hi %CUSTOMER%,</p><p>Thanks for reaching out! I&#39;ve checked your account and can reproduce this.</p><p>Best,<br>%AGENT%</p>`,
  () => `<p>Could you try the steps in <a href="https://help.acme.com/articles/360001">our help article</a> and let us know?</p>`,
  () => `<p>This is fixed in release 4.2:</p><ul><li>Faster imports</li><li>Accents &amp; umlauts in search (&eacute;, &uuml;)</li><li>No more duplicate posts</li></ul>`,
  () => `<p>We&#39;ve issued the refund; it can take 5&ndash;10 business days to appear.</p>`,
  () => `<p>I&#39;ve escalated this to engineering. Ticket ref: <code>ENG-4821</code>.</p>`,
];
const internalNotes = [
  () => `<p><em>Internal:</em> customer is on the legacy plan &lt;2022&gt;, check with finance before refunding.</p>`,
  () => `<p>Internal note: reproduced on staging.<br>See <a href="https://linear.app/acme/issue/ENG-4821">ENG-4821</a>.</p>`,
  () => `<p>Note: &quot;VIP&quot; account &mdash; keep the CSM in the loop.</p>`,
];

const tickets = [];
const comments = [];
let commentId = 5001;
for (let i = 0; i < 40; i++) {
  const id = 101 + i;
  const requester = id === INVALID_TICKET ? endUsers.find((u) => u.id === NO_EMAIL_USER) : endUsers[i % 14];
  const created = start + Math.floor(((end - start) * i) / 40) + between(0, 86_400_000 * 10);
  const assignee = rand() < 0.8 ? pick(agents) : null;
  const status = id === DELETED_TICKET ? 'deleted' : pick(statuses);
  const tags = [...new Set([pick(mappedTags), ...(rand() < 0.5 ? [pick(unmappedTags)] : []), ...(rand() < 0.3 ? [pick(mappedTags)] : [])])];
  tickets.push({
    id,
    url: `https://acme.zendesk.com/api/v2/tickets/${id}.json`,
    external_id: null,
    via: { channel: pick(['email', 'web', 'api']) },
    created_at: iso(created),
    updated_at: iso(created + 86_400_000 * between(1, 20)),
    type: pick(['question', 'problem', 'incident', 'task', null]),
    subject: subjects[i],
    priority: pick(priorities),
    status,
    requester_id: requester.id,
    submitter_id: requester.id,
    assignee_id: assignee ? assignee.id : null,
    organization_id: null,
    tags,
  });

  const count = between(2, 8);
  let t = created;
  const agent = assignee ?? agents[i % agents.length];
  for (let c = 0; c < count; c++) {
    t += between(10, 60 * 24) * 60_000; // 10 minutes to a day later
    let author;
    let isPublic = true;
    let body;
    if (c === 0) {
      author = requester;
      body = customerReplies[0](subjects[i]);
    } else if (c % 2 === 1) {
      author = rand() < 0.15 ? agents[3] : agent;
      isPublic = rand() >= 0.25;
      body = isPublic ? pick(agentReplies)() : pick(internalNotes)();
    } else {
      author = requester;
      body = pick(customerReplies.slice(1))();
    }
    const html = body
      .replace('%NAME%', requester.name.replace(/&/g, '&amp;').replace(/'/g, '&#39;'))
      .replace('%CUSTOMER%', requester.name.split(' ')[0].replace(/'/g, '&#39;'))
      .replace('%AGENT%', author.name);
    comments.push({
      id: commentId++,
      ticket_id: id,
      type: 'Comment',
      author_id: author.id,
      public: isPublic,
      html_body: html,
      created_at: iso(t),
    });
  }
}

// Attachments, added after the PRNG has been used so that the rest of the export does not move.
const files = [];
let attachmentId = 9001;
function attach(comment, fileName, contentType, bytes, inline = false) {
  const id = attachmentId++;
  const localPath = `export/attachments/${comment.id}/${fileName}`;
  files.push([localPath, bytes]);
  (comment.attachments ??= []).push({
    id,
    file_name: fileName,
    content_url: `https://acme.zendesk.com/attachments/token/${id}/?name=${encodeURIComponent(fileName)}`,
    content_type: contentType,
    size: bytes.length,
    inline,
    local_path: localPath,
  });
}
const pdf = (id) => Buffer.from(`%PDF-1.4\n% Invoice for ticket ${id}\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n`);
// A 1×1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
for (const t of tickets) {
  const first = comments.find((c) => c.ticket_id === t.id);
  if (t.id % 5 === 0) attach(first, `invoice-${t.id}.pdf`, 'application/pdf', pdf(t.id));
  if (t.id === 104) {
    first.html_body += '<p><img src="cid:screenshot.png" alt="screenshot"></p>';
    attach(first, 'screenshot.png', 'image/png', PNG, true);
  }
  if (t.id === 108) attach(first, 'setup.exe', 'application/octet-stream', Buffer.from('MZ not really an installer\n'));
}

const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
mkdirSync(OUT, { recursive: true });
for (const [path, bytes] of files) {
  mkdirSync(dirname(join(OUT, '..', path)), { recursive: true });
  writeFileSync(join(OUT, '..', path), bytes);
}
writeFileSync(join(OUT, 'tickets.jsonl'), jsonl(tickets));
writeFileSync(join(OUT, 'users.jsonl'), jsonl([...endUsers, ...agents]));
writeFileSync(join(OUT, 'comments.jsonl'), jsonl(comments));
process.stdout.write(`wrote ${tickets.length} tickets, ${endUsers.length + agents.length} users, ${comments.length} comments and ${files.length} attachments to ${OUT}\n`);
