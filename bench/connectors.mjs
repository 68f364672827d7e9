#!/usr/bin/env node
/**
 * The live-connector benchmark (issue 16): for each connection kind whose strict emulator is built
 * (dist/emulators/<kind>/), requests per 1,000 tickets and the achieved rate ÷ the account limit of a full
 * `plain-migrate pull`, and the requests of an incremental pull after 1% of the tickets changed.
 *
 *   npm run bench -- --only connectors [--quick] [--connectors-kinds zendesk,front]
 *
 * Run through bench/run.mjs, which writes the section this returns between <!-- connectors:start --> and
 * <!-- connectors:end --> of RESULTS.md (the rest of the file kept byte for byte) and a "connectors" key in
 * RESULTS.json. Uses dist/ (`npm run build` first) and bin/plain-migrate.js.
 *
 * Per kind: N tickets (full 1,000, quick 200) × 5 messages (comments, conversations, threads, parts,
 * history items) with ⌈N/3⌉ customers, built in that helpdesk's seed shape from the records of
 * examples/<kind>-api/ (read with the emulator's own seed loader, so the fields are the real ones; ids,
 * times, bodies and links are replaced); the emulator started in this process with its limit set to L; the
 * example's manifest with its connection's baseUrl pointed at the emulator and requestsPerMinute = L;
 * `plain-migrate --output json pull` on a fresh state (a child process under /usr/bin/time); 61 s later (a
 * new rate window everywhere), 1% of the tickets (every 100th) get a status change and one new message
 * through POST /__emulator/account, and `pull` again.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distInfo } from './lib/dist.mjs';
import { runMeasured } from './lib/proc.mjs';
import { generateZendeskExport } from './lib/zendesk-export.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/plain-migrate.js');
const NODE = process.execPath;
export const START_MARK = '<!-- connectors:start -->';
export const END_MARK = '<!-- connectors:end -->';
const MESSAGES = 5;
const CHANGED_EVERY = 100; // 1%
const WINDOW_WAIT_MS = 61_000;

const log = (s) => process.stderr.write(`[bench connectors ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const s1 = (ms) => `${fmt(ms / 1000, 1)} s`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clone = (o) => structuredClone(o);
const T0 = Date.UTC(2023, 0, 1) / 1000; // tickets spread over 2023 (unix seconds)
const YEAR = 365 * 86_400;
const iso = (s) => new Date(s * 1000).toISOString().replace(/\.000Z$/, 'Z');
const body = (i, k) => `Message ${k + 1} on ticket ${i}: the order did not arrive and the tracking page shows no update since Monday.`;

// ------------------------------------------------------------------------------------------ the kinds
/**
 * Each kind: its emulator module and exports, the example whose seed gives the record shapes and whose
 * manifest is pulled, the limit L (a real plan's, chosen so a full pull of 1,000 tickets lasts ≥ 30 s), the
 * seed builder, the account change, and what its operations are.
 */
const KINDS = [
  {
    kind: 'zendesk',
    start: 'startZendeskEmulator',
    limit: 700,
    limitNote: 'Enterprise plan',
    env: { ZENDESK_API_TOKEN: 'zd-emulator-token' },
    emulatorOptions: (L) => ({ requestsPerMinute: L, incrementalPerMinute: 10, hideLastSeconds: 0 }),
    async seed({ N, work, mod }) {
      const data = await generateZendeskExport({ dir: join(work, 'zendesk-export'), tickets: N, comments: MESSAGES });
      return mod.loadZendeskSeed(data.dir);
    },
    change: (ids, seed) => {
      const status = new Map(seed.tickets.map((t) => [t.id, t.status]));
      return {
        tickets: ids.map((id) => ({ id, status: status.get(id) === 'solved' ? 'open' : 'solved' })),
        comments: ids.map((id) => ({ ticket_id: id, author_id: 1, body: `Follow-up on ticket ${id}.`, public: true })),
      };
    },
    ticketIds: (seed) => seed.tickets.map((t) => t.id),
    ops: { 'ticket.comments': "one comment list per ticket (100 comments a page, so one page)", 'incremental.tickets': 'the tickets export, 1,000 a page', 'incremental.users': 'the users export' },
  },
  {
    kind: 'freshdesk',
    start: 'startFreshdeskEmulator',
    example: 'freshdesk-api/export',
    loader: 'loadFreshdeskSeed',
    limit: 700,
    limitNote: 'Enterprise plan; list calls 200/min',
    emulatorOptions: (L) => ({ requestsPerMinute: L, listPerMinute: 200 }),
    seed({ N, tpl }) {
      const contacts = Array.from({ length: Math.ceil(N / 3) }, (_, j) => ({ ...clone(tpl.contacts[0]), id: 500_000 + j, email: `customer${j}@example.com`, name: `Customer ${j}`, company_id: null }));
      const agents = tpl.agents;
      const tickets = [];
      const conversations = [];
      let cid = 9_000_000;
      for (let i = 1; i <= N; i++) {
        const at = T0 + Math.floor(((i - 1) * YEAR) / N);
        const requester = contacts[(i * 7) % contacts.length];
        const agent = agents[i % agents.length];
        tickets.push({ ...clone(tpl.tickets[0]), id: i, subject: `Order ${i} has not arrived`, description: `<div>${body(i, -1)}</div>`, description_text: body(i, -1), requester_id: requester.id, responder_id: agent.id, status: 2 + (i % 4), spam: false, deleted: undefined, attachments: [], tags: [], created_at: iso(at), updated_at: iso(at + 3600 * MESSAGES) });
        for (let k = 0; k < MESSAGES; k++) {
          const incoming = k % 2 === 1;
          conversations.push({ ...clone(tpl.conversations[0]), id: ++cid, ticket_id: i, incoming, private: k === MESSAGES - 1, user_id: incoming ? requester.id : agent.id, body: `<div>${body(i, k)}</div>`, body_text: body(i, k), to_emails: [requester.email], attachments: [], created_at: iso(at + 3600 * (k + 1)), updated_at: iso(at + 3600 * (k + 1)) });
        }
      }
      return { tickets, conversations, contacts, agents, companies: tpl.companies };
    },
    change: (ids, seed) => {
      const status = new Map(seed.tickets.map((t) => [t.id, t.status]));
      return {
        tickets: ids.map((id) => ({ id, status: status.get(id) === 5 ? 2 : 5 })),
        conversations: ids.map((id) => ({ ticket_id: id, body: `<div>Follow-up on ticket ${id}.</div>`, body_text: `Follow-up on ticket ${id}.`, incoming: true, private: false, user_id: seed.tickets[id - 1].requester_id })),
      };
    },
    ticketIds: (seed) => seed.tickets.map((t) => t.id),
    ops: { 'ticket.conversations': 'one conversation list per ticket', 'tickets.list': 'the ticket list pages (and its spam and deleted listings)', 'contacts.list': 'contact pages' },
  },
  {
    kind: 'helpscout',
    start: 'startHelpScoutEmulator',
    example: 'helpscout-api/seed',
    loader: 'loadHelpScoutSeed',
    limit: 400,
    limitNote: 'Help Scout Plus/Pro (the v2 rate limit is per plan; 200 on Standard)',
    emulatorOptions: (L) => ({ requestsPerMinute: L }),
    seed({ N, tpl }) {
      const c0 = tpl.conversations[0];
      const threads0 = c0._embedded.threads;
      const custThread = threads0.find((t) => t.type === 'customer') ?? threads0.at(-1);
      const replyThread = threads0.find((t) => t.type === 'reply') ?? threads0[0];
      const customers = Array.from({ length: Math.ceil(N / 3) }, (_, j) => {
        const c = clone(tpl.customers[0]);
        return { ...c, id: 500_000 + j, firstName: 'Customer', lastName: String(j), _embedded: { ...c._embedded, emails: [{ id: 800_000 + j, value: `customer${j}@example.com`, type: 'work' }] } };
      });
      const users = tpl.users;
      let tid = 9_000_000;
      const conversations = [];
      for (let i = 1; i <= N; i++) {
        const at = T0 + Math.floor(((i - 1) * YEAR) / N);
        const cu = customers[(i * 7) % customers.length];
        const u = users[i % users.length];
        const cust = { id: cu.id, first: cu.firstName, last: cu.lastName, email: cu._embedded.emails[0].value };
        const threads = [];
        for (let k = 0; k < MESSAGES; k++) {
          const fromCustomer = k % 2 === 0;
          const t = clone(fromCustomer ? custThread : replyThread);
          threads.push({
            ...t,
            id: ++tid,
            body: `<p>${body(i, k)}</p>`,
            customer: cust,
            createdBy: fromCustomer ? { id: cu.id, type: 'customer', first: cust.first, last: cust.last, email: cust.email } : { id: u.id, type: 'user', first: u.firstName, last: u.lastName, email: u.email },
            createdAt: iso(at + 3600 * k),
            _embedded: { attachments: [] },
          });
        }
        threads.reverse(); // newest first, as embed=threads gives them
        conversations.push({
          ...clone(c0),
          id: i,
          number: 100_000 + i,
          threads: MESSAGES,
          status: ['active', 'pending', 'closed'][i % 3],
          subject: `Order ${i} has not arrived`,
          preview: body(i, 0).slice(0, 80),
          assignee: { id: u.id, first: u.firstName, last: u.lastName, email: u.email },
          createdBy: { id: cu.id, type: 'customer', email: cust.email },
          primaryCustomer: cust,
          tags: [],
          createdAt: iso(at),
          userUpdatedAt: iso(at + 3600 * (MESSAGES - 1)),
          closedAt: null,
          _embedded: { threads },
        });
      }
      return { conversations, customers, users, mailboxes: tpl.mailboxes };
    },
    change: (ids, seed) => {
      const byId = new Map(seed.conversations.map((c) => [c.id, c]));
      return {
        conversations: ids.map((id) => ({ id, status: byId.get(id).status === 'closed' ? 'active' : 'closed' })),
        threads: ids.map((id) => ({ conversationId: id, type: 'customer', body: `<p>Follow-up on conversation ${id}.</p>`, customer: byId.get(id).primaryCustomer, createdBy: { ...byId.get(id).createdBy } })),
      };
    },
    ticketIds: (seed) => seed.conversations.map((c) => c.id),
    ops: { 'threads.list': 'one thread list per conversation', 'conversations.list': 'conversation list pages (50 a page)', 'customers.list': 'customer pages', 'oauth2.token': 'the token' },
  },
  {
    kind: 'intercom',
    start: 'startIntercomEmulator',
    example: 'intercom-api/export',
    loader: 'loadIntercomSeed',
    limit: 1000,
    limitNote: "the example manifest's pacing (a private app may send 10,000/min; enforced in 10-s windows of L/6)",
    emulatorOptions: (L) => ({ requestsPerMinute: L }),
    seed({ N, tpl }) {
      const c0 = tpl.conversations[0];
      const parts0 = c0.conversation_parts.conversation_parts;
      const comment = parts0.find((p) => p.part_type === 'comment') ?? parts0[0];
      const contacts = Array.from({ length: Math.ceil(N / 3) }, (_, j) => ({ ...clone(tpl.contacts[0]), id: `c${String(j).padStart(23, '0')}`, external_id: String(500_000 + j), email: `customer${j}@example.com`, name: `Customer ${j}` }));
      const admins = tpl.admins;
      let pid = 9_000_000;
      const conversations = [];
      for (let i = 1; i <= N; i++) {
        const at = T0 + Math.floor(((i - 1) * YEAR) / N);
        const ct = contacts[(i * 7) % contacts.length];
        const ad = admins[i % admins.length];
        const user = { type: 'user', id: ct.id, name: ct.name, email: ct.email };
        const admin = { type: 'admin', id: ad.id, name: ad.name, email: ad.email };
        const parts = [];
        for (let k = 1; k < MESSAGES; k++) {
          const t = at + 3600 * k;
          parts.push({ ...clone(comment), id: String(++pid), part_type: k === MESSAGES - 1 ? 'note' : 'comment', body: `<p>${body(i, k)}</p>`, author: k % 2 ? admin : user, created_at: t, updated_at: t, notified_at: t, attachments: [] });
        }
        conversations.push({
          ...clone(c0),
          id: String(i),
          created_at: at,
          updated_at: at + 3600 * (MESSAGES - 1),
          state: ['open', 'closed', 'snoozed'][i % 3],
          open: i % 3 !== 1,
          admin_assignee_id: Number(ad.id),
          tags: { type: 'tag.list', tags: [] },
          source: { ...clone(c0.source), id: String(400_000_000 + i), subject: `Order ${i} has not arrived`, body: `<p>${body(i, 0)}</p>`, author: user, attachments: [] },
          contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: ct.id, external_id: ct.external_id }] },
          statistics: { ...clone(c0.statistics ?? {}), last_close_at: null },
          conversation_parts: { type: 'conversation_part.list', conversation_parts: parts, total_count: parts.length },
        });
      }
      return { conversations, contacts, admins, tags: tpl.tags };
    },
    change: (ids, seed) => {
      const byId = new Map(seed.conversations.map((c) => [c.id, c]));
      return {
        conversations: ids.map((id) => ({ id: String(id), state: byId.get(String(id)).state === 'closed' ? 'open' : 'closed', open: byId.get(String(id)).state === 'closed' })),
        parts: ids.map((id) => ({ conversation_id: String(id), part_type: 'comment', body: `<p>Follow-up on conversation ${id}.</p>`, author: byId.get(String(id)).source.author, attachments: [] })),
      };
    },
    ticketIds: (seed) => seed.conversations.map((c) => Number(c.id)),
    ops: { 'conversation.retrieve': 'one retrieve per conversation (its parts come only with the conversation)', 'conversations.search': 'search pages (150 a page)', 'contacts.search': 'contact search pages' },
  },
  {
    kind: 'front',
    start: 'startFrontEmulator',
    example: 'front-api/seed',
    loader: 'loadFrontSeed',
    limit: 500,
    limitNote: 'Front Premier; 5/s per resource-intensive route (messages, comments)',
    baseUrl: (emu) => emu.companyUrl,
    emulatorOptions: (L) => ({ requestsPerMinute: L, burstPerSecond: 5 }),
    seed({ N, tpl }) {
      const conv0 = tpl.conversations[0];
      const msgIn = tpl.messages.find((m) => m.is_inbound) ?? tpl.messages[0];
      const msgOut = tpl.messages.find((m) => !m.is_inbound) ?? tpl.messages[0];
      const com0 = tpl.comments[0];
      const teammates = tpl.teammates;
      const contacts = Array.from({ length: Math.ceil(N / 3) }, (_, j) => ({ ...clone(tpl.contacts[0]), id: `crd_b${j}`, name: `Customer ${j}`, handles: [{ handle: `customer${j}@example.com`, source: 'email' }], created_at: T0, updated_at: T0 }));
      const conversations = [];
      const messages = [];
      const comments = [];
      for (let i = 1; i <= N; i++) {
        const at = T0 + Math.floor(((i - 1) * YEAR) / N);
        const ct = contacts[(i * 7) % contacts.length];
        const tm = teammates[i % teammates.length];
        const from = { _links: { related: { contact: `https://acme.api.frontapp.com/contacts/${ct.id}` } }, name: ct.name, handle: ct.handles[0].handle, role: 'from' };
        conversations.push({ ...clone(conv0), id: `cnv_b${i}`, subject: `Order ${i} has not arrived`, status: ['assigned', 'archived', 'unassigned'][i % 3], assignee: clone(tm), recipient: from, tags: [], created_at: at, updated_at: at + 3600 * (MESSAGES - 1) });
        // MESSAGES - 1 messages and one comment: Front keeps the internal discussion apart.
        for (let k = 0; k < MESSAGES - 1; k++) {
          const inbound = k % 2 === 0;
          const m = clone(inbound ? msgIn : msgOut);
          messages.push({ ...m, conversation_id: `cnv_b${i}`, id: `msg_b${i}_${k}`, message_uid: `uid_b${i}_${k}`, is_inbound: inbound, created_at: at + 3600 * k, author: inbound ? null : clone(tm), body: `<p>${body(i, k)}</p>`, text: body(i, k), blurb: body(i, k).slice(0, 60), attachments: [] });
        }
        comments.push({ ...clone(com0), conversation_id: `cnv_b${i}`, id: `com_b${i}`, author: clone(tm), body: body(i, MESSAGES - 1), posted_at: at + 3600 * (MESSAGES - 1), attachments: [] });
      }
      return { conversations, messages, comments, contacts, teammates, tags: tpl.tags, inboxes: tpl.inboxes, events: [] };
    },
    change: (ids, seed) => {
      const byId = new Map(seed.conversations.map((c) => [c.id, c]));
      return {
        conversations: ids.map((id) => ({ id: `cnv_b${id}`, status: byId.get(`cnv_b${id}`).status === 'archived' ? 'assigned' : 'archived' })),
        messages: ids.map((id) => ({ conversation_id: `cnv_b${id}`, is_inbound: true, type: 'email', body: `<p>Follow-up on conversation ${id}.</p>`, text: `Follow-up on conversation ${id}.`, recipients: [byId.get(`cnv_b${id}`).recipient], attachments: [] })),
      };
    },
    ticketIds: (seed) => seed.conversations.map((c) => Number(c.id.slice(5))),
    ops: { 'conversation.messages': 'one message list per conversation', 'conversation.comments': 'one comment list per conversation', 'conversations.list': 'conversation list pages', 'events.list': 'event pages (15 a page)', 'contacts.list': 'contact pages' },
  },
  {
    kind: 'helpspot',
    start: 'startHelpSpotEmulator',
    example: 'helpspot-api/seed',
    loader: 'loadHelpSpotSeed',
    limit: 300,
    limitNote: 'HelpSpot has no API limit of its own: a limit a proxy in front of it might set, enforced by the emulator',
    emulatorOptions: (L) => ({ requestsPerMinute: L }),
    seed({ N, tpl }) {
      const r0 = tpl.requests[0];
      const item0 = r0.request_history.item[0];
      const staff = tpl.staff.filter((s) => !s.fDeleted);
      const requests = [];
      let hid = 9_000_000;
      for (let i = 1; i <= N; i++) {
        const at = T0 + Math.floor(((i - 1) * YEAR) / N);
        const j = (i * 7) % Math.ceil(N / 3);
        const st = staff[i % staff.length];
        const items = [];
        for (let k = 0; k < MESSAGES; k++) {
          const fromCustomer = k % 2 === 0;
          items.push({ ...clone(item0), xRequestHistory: ++hid, xRequest: 100_000 + i, xPerson: fromCustomer ? 0 : st.xPerson, dtGMTChange: at + 3600 * k, fPublic: k === MESSAGES - 1 ? 0 : 1, fInitial: k === 0 ? 1 : 0, fNoteIsHTML: 1, tNote: `<p>${body(i, k)}</p>`, tLog: '', files: { file: [] } });
        }
        const open = i % 2;
        requests.push({ ...clone(r0), xRequest: 100_000 + i, xPersonAssignedTo: st.xPerson, fOpen: open, xStatus: 1, dtGMTOpened: at, dtGMTClosed: open ? 0 : at + 3600 * MESSAGES, sRequestPassword: `k${i}`, accesskey: `${100_000 + i}k${i}`, sTitle: `Order ${i} has not arrived`, sFirstName: 'Customer', sLastName: String(j), sEmail: `customer${j}@example.com`, fTrash: 0, dtGMTTrashed: 0, reportingTags: { tag: [] }, request_history: { item: items } });
      }
      return { requests, staff: tpl.staff, categories: tpl.categories, statuses: tpl.statuses };
    },
    change: (ids, seed) => {
      const open = new Map(seed.requests.map((r) => [r.xRequest, r.fOpen]));
      return {
        requests: ids.map((id) => ({ xRequest: 100_000 + id, fOpen: open.get(100_000 + id) ? 0 : 1 })),
        notes: ids.map((id) => ({ xRequest: 100_000 + id, tNote: `Follow-up on request ${id}.`, xPerson: 0, fPublic: 1 })),
      };
    },
    ticketIds: (seed) => seed.requests.map((r) => r.xRequest - 100_000),
    ops: { 'private.request.get': 'one request.get per request (its history comes with it)', 'private.request.multiGet': 'multiGet batches', 'private.request.getChanged': 'getChanged', 'private.request.search': 'search pages' },
  },
];
export const CONNECTOR_KINDS = KINDS.map((k) => k.kind);

// ------------------------------------------------------------------------------------------ measuring
/** Figures from the emulator's request log: by operation, 429s, sending phase, rate of 200-answered requests. */
function requestFigures(entries, L) {
  const byOp = {};
  let ok = 0;
  let r429 = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const e of entries) {
    const op = e.operation ?? '(none)';
    byOp[op] ??= { sent: 0, ok: 0, r429: 0 };
    byOp[op].sent++;
    if (e.status === 200) {
      byOp[op].ok++;
      ok++;
    } else if (e.status === 429) {
      byOp[op].r429++;
      r429++;
    }
    const t = Date.parse(e.at);
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const spanMs = entries.length ? last - first : 0;
  const perMin = spanMs > 0 ? ok / (spanMs / 60_000) : NaN;
  return { sent: entries.length, ok, r429, other: entries.length - ok - r429, byOp, spanMs, perMin, ratio: perMin / L };
}

const apiEntries = (emu, from = 0) => emu.requests().slice(from).filter((e) => !String(e.path ?? '').startsWith('/__emulator'));

function manifestFor(kind, baseUrl, L) {
  const dir = kind.example ? kind.example.split('/')[0] : `${kind.kind}-api`;
  const text = readFileSync(join(ROOT, 'examples', dir, 'plain-migrate.yaml'), 'utf8');
  // The connection's baseUrl (the first one in the file) and requestsPerMinute; the rest as the example has it.
  let n = 0;
  const out = text
    .replace(/^(\s+baseUrl:\s*)\S+/m, (_, p) => (n++, `${p}${baseUrl}`))
    .replace(/^(\s+requestsPerMinute:\s*)\d+/m, (_, p) => (n++, `${p}${L}`));
  if (n !== 2) throw new Error(`examples/${dir}/plain-migrate.yaml: no connection baseUrl / requestsPerMinute line to set`);
  return out;
}

async function pullOnce(dir, env, timeoutMs) {
  const r = await runMeasured(NODE, [CLI, '--output', 'json', 'pull'], { cwd: dir, env: { ...process.env, PLAIN_API_KEY: 'bench-key', PLAIN_MIGRATE_HEARTBEAT_MS: '0', NO_COLOR: '1', ...env }, timeoutMs });
  if (r.timedOut) throw new Error(`plain-migrate pull did not finish within ${fmt(timeoutMs / 1000)} s`);
  if (r.code !== 0) throw new Error(`plain-migrate pull exited ${r.code}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
  return r;
}

async function benchKind(kind, { N, work, keep }) {
  const modPath = join(ROOT, 'dist/emulators', kind.kind, 'index.js');
  const mod = await import(pathToFileURL(modPath).href);
  const L = kind.limit;
  const kwork = join(work, kind.kind);
  mkdirSync(kwork, { recursive: true });
  let t0 = performance.now();
  const tpl = kind.loader ? await mod[kind.loader](join(ROOT, 'examples', kind.example)) : undefined;
  const seed = await kind.seed({ N, tpl, work: kwork, mod });
  log(`${kind.kind}: ${fmt(N)} tickets × ${MESSAGES} messages generated in ${s1(performance.now() - t0)}`);
  const emu = await mod[kind.start]({ host: '127.0.0.1', port: 0, seed, maxLoggedRequests: 10_000_000, ...kind.emulatorOptions(L) });
  try {
    const baseUrl = kind.baseUrl ? kind.baseUrl(emu) : emu.url;
    const dir = join(kwork, 'workspace');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'plain-migrate.yaml'), manifestFor(kind, baseUrl, L));
    const timeoutMs = Math.max(300_000, ((N * 4) / L) * 60_000 * 2);
    log(`${kind.kind}: full pull at ${fmt(L)}/min`);
    const full = await pullOnce(dir, kind.env, timeoutMs);
    const fullEntries = apiEntries(emu);
    const f = requestFigures(fullEntries, L);
    log(`${kind.kind}: ${fmt(f.sent)} requests (${f.r429} × 429), sending ${s1(f.spanMs)}, ${fmt(f.ratio, 3)} of the limit, wall ${s1(full.wallMs)}`);

    // A new rate window (Zendesk's export minute, Freshdesk's and Front's minute) before the incremental.
    const lastAt = fullEntries.length ? Date.parse(fullEntries.at(-1).at) : Date.now();
    await sleep(Math.max(0, lastAt + WINDOW_WAIT_MS - Date.now()));
    const ids = kind.ticketIds(seed).filter((id) => id % CHANGED_EVERY === 0);
    const res = await fetch(`${emu.url}/__emulator/account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(kind.change(ids, seed)) });
    if (res.status !== 200) throw new Error(`${kind.kind}: POST /__emulator/account answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
    const before = emu.requests().length;
    log(`${kind.kind}: incremental pull after ${ids.length} tickets changed`);
    const inc = await pullOnce(dir, kind.env, 300_000);
    const fi = requestFigures(apiEntries(emu, before), L);
    log(`${kind.kind}: incremental ${fmt(fi.sent)} requests (${fi.r429} × 429) in ${s1(inc.wallMs)}`);
    return {
      kind: kind.kind,
      limit: L,
      limitNote: kind.limitNote,
      tickets: N,
      messagesPerTicket: MESSAGES,
      full: { wallMs: full.wallMs, cpuS: full.cpuS, maxRssKb: full.maxRssKb, ...f },
      incremental: { changed: ids.length, wallMs: inc.wallMs, ...fi },
    };
  } finally {
    await emu.close();
    if (!keep) rmSync(kwork, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------------ the section
/** What dominates a kind's request count: its largest operation, per ticket, and the rest. */
function dominantSentence(kind, r) {
  const ops = Object.entries(r.full.byOp).sort((a, b) => b[1].sent - a[1].sent);
  if (!ops.length) return `**${r.kind}**: no requests logged.`;
  const [op, v] = ops[0];
  const what = kind?.ops?.[op];
  const perTicket = v.ok / r.tickets;
  const retried = (x) => (x.r429 ? ` (${fmt(x.r429)} of them 429s)` : '');
  const rest = ops.slice(1).map(([o, x]) => `${fmt(x.sent)} \`${o}\`${retried(x)}`).join(', ');
  return `**${r.kind}**: \`${op}\` is ${fmt(v.sent)} of ${fmt(r.full.sent)} requests (${fmt((100 * v.sent) / r.full.sent)}%)${retried(v)}, ${fmt(perTicket, 2)} answered per ticket${what ? ` — ${what}` : ''}${rest ? `; the rest: ${rest}` : ''}. Incremental: ${Object.entries(r.incremental.byOp).map(([o, x]) => `${fmt(x.sent)} \`${o}\``).join(', ') || 'none'}.`;
}

export function renderSection(res) {
  const byKind = Object.fromEntries(KINDS.map((k) => [k.kind, k]));
  const rows = res.runs
    .map((r) =>
      r.error
        ? `| ${r.kind} | ${fmt(r.limit)}/min | ${fmt(r.tickets)} | failed: ${r.error.split('\n')[0].replace(/\|/g, '\\|').slice(0, 200)} | | | | | |`
        : `| ${r.kind} | ${fmt(r.limit)}/min | ${fmt(r.tickets)} | ${fmt(r.full.sent)} | ${fmt((1000 * r.full.sent) / r.tickets)} | ${s1(r.full.spanMs)} | ${fmt(r.full.perMin, 1)}/min ÷ ${fmt(r.limit)} = ${fmt(r.full.ratio, 3)} | ${fmt(r.full.r429)} | ${fmt(r.incremental.sent)} (${fmt(r.incremental.changed)} changed${r.incremental.r429 ? `, ${r.incremental.r429} × 429` : ''}) |`,
    )
    .join('\n');
  const limits = res.runs.map((r) => `${r.kind} ${fmt(r.limit)}/min (${r.limitNote})`).join('; ');
  const skipped = res.skipped.length ? `Skipped (no \`dist/emulators/<kind>/index.js\` at run time): ${res.skipped.join(', ')}.` : 'Every connection kind with a live source had its emulator built; none skipped.';
  return `## g. Live connectors: requests per 1,000 tickets and rate ÷ limit

Mode: **${res.mode}**. Written by \`bench/connectors.mjs\` (\`${res.meta.command}\`); see \`bench/README.md\`.

| | |
|---|---|
| date | ${res.meta.date} |
| machine | ${res.meta.machine} |
| load average at start / end | ${res.meta.load} |
| Node | ${res.meta.node} |
| code | ${res.meta.code} |

Per kind: ${fmt(res.tickets)} tickets × ${MESSAGES} messages (comments, conversations, threads, parts, history items; for Front 4 messages + 1 comment) with ⌈N/3⌉ customers, in the helpdesk's seed shape (records of \`examples/<kind>-api/\` read with the emulator's seed loader, ids, times and bodies replaced; Zendesk's from \`bench/lib/zendesk-export.mjs\`), served by its strict emulator in process with its limit set to L; the example's manifest with the connection's \`baseUrl\` on the emulator and \`requestsPerMinute: L\`; \`plain-migrate --output json pull\` on a fresh state.${res.parallel ? ' The kinds ran at the same time (`--connectors-parallel`), each against its own emulator in this process.' : ' One kind after the other.'} Then, once 61 s had passed since the last request (a new rate window), 1% of the tickets (every 100th) got a status change and one new message through \`POST /__emulator/account\`, and \`pull\` ran again. Requests are counted from the emulator's request log; the sending phase is first to last request; the rate is the 200-answered requests over it, per minute, ÷ L. Limits: ${limits}.

| kind | limit | tickets | requests (full) | per 1,000 tickets | sending phase | ÷ limit | 429s | incremental requests after 1% changed |
|---|---|---|---|---|---|---|---|---|
${rows}

${res.runs.filter((r) => !r.error).map((r) => dominantSentence(byKind[r.kind], r)).join('\n\n')}

${skipped} Rates above 1.0 on short runs: the client's bucket starts full and the emulators count fixed windows.
`;
}

// ------------------------------------------------------------------------------------------ the run
/** Options: quick, tickets, kinds (subset), work, keep, command, code (git line). Returns { results, section }. */
export async function benchConnectors(o = {}) {
  const quick = !!o.quick;
  const N = o.tickets ?? (quick ? 200 : 1000);
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const distAtStart = distInfo(ROOT);
  const work = o.work ?? mkdtempSync(join(os.tmpdir(), 'pm-bench-connectors-'));
  mkdirSync(work, { recursive: true });
  const wanted = o.kinds ?? CONNECTOR_KINDS;
  const runs = [];
  const skipped = [];
  try {
    const todo = [];
    for (const kind of KINDS) {
      if (!wanted.includes(kind.kind)) continue;
      if (!existsSync(join(ROOT, 'dist/emulators', kind.kind, 'index.js')) || !existsSync(join(ROOT, 'dist/sources', kind.kind, 'index.js'))) {
        log(`${kind.kind}: no emulator or source in dist/, skipped`);
        skipped.push(kind.kind);
        continue;
      }
      todo.push(kind);
    }
    const one = (kind) =>
      benchKind(kind, { N, work, keep: o.keep }).catch((e) => {
        log(`${kind.kind} failed: ${e.stack ?? e}`);
        return { kind: kind.kind, limit: kind.limit, limitNote: kind.limitNote, tickets: N, error: String(e.message ?? e) };
      });
    // --connectors-parallel: every kind at once (each is paced by its own limit, so mostly waiting).
    if (o.parallel) runs.push(...(await Promise.all(todo.map(one))));
    else for (const kind of todo) runs.push(await one(kind));
  } finally {
    if (!o.keep) rmSync(work, { recursive: true, force: true });
  }
  const distAtEnd = distInfo(ROOT);
  const cpus = os.cpus();
  const meta = {
    date: startedAt.toISOString(),
    command: o.command ?? `npm run bench -- --only connectors${quick ? ' --quick' : ''}`,
    machine: `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GB memory, ${os.platform()} ${os.release()}`,
    load: `${loadStart.map((x) => x.toFixed(2)).join(' ')} / ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
    node: process.version,
    code:
      distAtEnd.hash === distAtStart.hash
        ? `${o.code ?? ''}${o.code ? '; ' : ''}dist/ ${distAtStart.hash} (newest file ${distAtStart.newest})`
        : `${o.code ?? ''}${o.code ? '; ' : ''}**dist/ changed during the run** (${distAtStart.hash} → ${distAtEnd.hash}): the figures may mix two builds`,
  };
  const results = { date: startedAt.toISOString(), mode: quick ? 'quick' : 'full', parallel: !!o.parallel, meta, tickets: N, messagesPerTicket: MESSAGES, skipped, runs };
  return { results, section: renderSection(results), failed: runs.filter((r) => r.error).map((r) => r.kind) };
}
