/**
 * A deterministic (mulberry32) Zendesk export directory for the pull benchmark (bench/pull.mjs):
 *
 *   tickets.jsonl   N tickets (ids 1..N), created over eight years (2017-01-01 → 2024-12-31), each with
 *                   generated_timestamp = updated_at = its last comment's time
 *   users.jsonl     12 agents (ids 1..12) and ⌈N/3⌉ customers (ids 1000..), updated over the same years
 *   comments.jsonl  M comments per ticket (ids from 10,000,001), with ticket_id, body / html_body /
 *                   plain_body (300–800 characters of text), 1 to 90 minutes apart
 *
 * loadZendeskSeed(dir) reads it. Also returns the sorted timestamps that the emulator pages on, so that
 * the benchmark can count the pages the exports need (exportPages below) from the data itself.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LineWriter, mulberry32 } from '../generate.mjs';

const START = Date.parse('2017-01-01T00:00:00Z');
const SPAN = Date.parse('2024-12-31T00:00:00Z') - START;
const AGENTS = 12;
const CUSTOMER_BASE = 1000;
const FIRST_COMMENT_ID = 10_000_001;
const WORDS = (
  'account access admin after again agent already answer app attached billing browser cancel card change charge ' +
  'check click config confirm customer dashboard data delete details device different email error export failed ' +
  'feature file fixed form hello help invoice issue last link login message missing mobile monday months name ' +
  'need order page password payment people plan please problem profile question receipt refund report request'
).split(' ');
const STATUSES = ['new', 'open', 'pending', 'hold', 'closed', 'closed', 'closed', 'solved'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low', null];

const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.000Z$/, 'Z');

function text(rng, min, max) {
  const target = min + Math.floor(rng() * (max - min));
  let s = '';
  while (s.length < target) {
    const n = 5 + Math.floor(rng() * 10);
    let sent = '';
    for (let i = 0; i < n; i++) {
      const w = WORDS[Math.floor(rng() * WORDS.length)];
      sent += i === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`;
    }
    s += `${s ? ' ' : ''}${sent}.`;
  }
  return s;
}

/**
 * Writes the export into `dir`. Returns the counts, the file sizes and, for counting pages, the sorted
 * (seconds, id) keys of tickets (generated_timestamp), users (updated_at) and comment events (created_at).
 */
export async function generateZendeskExport({ dir, tickets, comments = 10, seed = 7 }) {
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const rng = mulberry32(seed);
  const customers = Math.ceil(tickets / 3);
  const t = new LineWriter(join(out, 'tickets.jsonl'));
  const c = new LineWriter(join(out, 'comments.jsonl'));
  const ticketKeys = [];
  const eventKeys = [];
  let commentId = FIRST_COMMENT_ID;
  for (let i = 1; i <= tickets; i++) {
    const created = START + Math.floor(((i - 1 + rng()) * SPAN) / tickets);
    const requester = CUSTOMER_BASE + Math.floor(rng() * customers);
    const assignee = 1 + Math.floor(rng() * AGENTS);
    let at = created;
    const lines = [];
    for (let m = 0; m < comments; m++) {
      at += 60_000 + Math.floor(rng() * 89 * 60_000);
      const byCustomer = m === 0 || rng() < 0.45;
      const body = text(rng, 300, 800);
      const id = commentId++;
      lines.push(
        JSON.stringify({
          id,
          ticket_id: i,
          type: 'Comment',
          author_id: byCustomer ? requester : assignee,
          public: byCustomer || rng() < 0.8,
          body,
          html_body: `<div class="zd-comment" dir="auto"><p>${body}</p></div>`,
          plain_body: body,
          attachments: [],
          created_at: iso(at),
        }),
      );
      eventKeys.push([Math.floor(at / 1000), id * 10]);
    }
    const gts = Math.floor(at / 1000);
    ticketKeys.push([gts, i]);
    await t.line(
      JSON.stringify({
        url: `https://acme.zendesk.com/api/v2/tickets/${i}.json`,
        id: i,
        via: { channel: rng() < 0.7 ? 'email' : 'web' },
        created_at: iso(created),
        updated_at: iso(at),
        generated_timestamp: gts,
        type: 'question',
        subject: `${text(rng, 20, 60).slice(0, 60)} (#${i})`,
        priority: PRIORITIES[Math.floor(rng() * PRIORITIES.length)],
        status: STATUSES[Math.floor(rng() * STATUSES.length)],
        requester_id: requester,
        submitter_id: requester,
        assignee_id: assignee,
        tags: [],
      }),
    );
    for (const l of lines) await c.line(l);
  }
  await t.close();
  await c.close();
  const u = new LineWriter(join(out, 'users.jsonl'));
  const userKeys = [];
  const users = AGENTS + customers;
  for (let k = 0; k < users; k++) {
    const id = k < AGENTS ? k + 1 : CUSTOMER_BASE + (k - AGENTS);
    const updated = START + Math.floor(rng() * SPAN);
    userKeys.push([Math.floor(updated / 1000), id]);
    await u.line(
      JSON.stringify({
        id,
        name: k < AGENTS ? `Agent ${id}` : `Customer ${id - CUSTOMER_BASE}`,
        email: k < AGENTS ? `agent${id}@acme.test` : `customer${id - CUSTOMER_BASE}@example.test`,
        role: k < AGENTS ? 'agent' : 'end-user',
        active: true,
        created_at: iso(updated - 86_400_000),
        updated_at: iso(updated),
      }),
    );
  }
  await u.close();
  const byKey = (a, b) => a[0] - b[0] || a[1] - b[1];
  return {
    dir: out,
    tickets,
    commentsPerTicket: comments,
    comments: tickets * comments,
    users,
    agents: AGENTS,
    bytes: { tickets: t.bytes, comments: c.bytes, users: u.bytes },
    keys: { tickets: ticketKeys.sort(byKey), users: userKeys.sort(byKey), events: eventKeys.sort(byKey) },
  };
}

/**
 * The pages the emulator's exports take over sorted keys (they follow Zendesk's rules; see
 * src/emulators/zendesk/paging.ts), the last of them the one that says end_of_stream:
 *  - cursor export (tickets, users) from start_time 0: when the first row lies more than `gapS` (30 days)
 *    after the position, an empty page that moves the cursor (end_of_stream false) comes first; then
 *    ⌈rows / perPage⌉ pages (a page is end_of_stream when nothing lies beyond it);
 *  - time export (ticket events) from start_time 0: each page starts at the previous page's end_time (its
 *    last row's timestamp), so the rows at that second come again; pages until one holds every row left.
 * Returns { pages, empty } (empty: the leading empty pages included in pages).
 */
export function cursorExportPages(keys, { perPage = 1000, gapS = 30 * 86_400, start = 0, after } = {}) {
  let pages = 0;
  let empty = 0;
  // From start_time (rows at or after it), or after a cursor's row `after` ([seconds, id]).
  let pos = after ?? [start, 0];
  let i = after ? keys.findIndex((k) => k[0] > after[0] || (k[0] === after[0] && k[1] > after[1])) : keys.findIndex((k) => k[0] >= start);
  if (i < 0) i = keys.length;
  for (;;) {
    pages++;
    if (i >= keys.length) return { pages, empty };
    if (gapS > 0 && keys[i][0] > pos[0] + gapS) {
      empty++;
      pos = [keys[i][0] - 1, 0];
      continue;
    }
    const end = Math.min(keys.length, i + perPage);
    if (keys.length - i <= perPage) return { pages, empty };
    pos = keys[end - 1];
    i = end;
  }
}

export function timeExportPages(keys, { perPage = 1000, start = 0 } = {}) {
  let pages = 0;
  let from = start;
  let i = keys.findIndex((k) => k[0] >= from);
  if (i < 0) return { pages: 1, repeated: 0 };
  let repeated = 0;
  for (;;) {
    pages++;
    let end = Math.min(keys.length, i + perPage);
    // A page whose rows all share one timestamp grows to hold all of them.
    if (keys[i][0] === keys[end - 1][0] && end < keys.length) while (end < keys.length && keys[end][0] === keys[i][0]) end++;
    if (end >= keys.length) return { pages, repeated };
    from = keys[end - 1][0];
    let j = end - 1;
    while (j > i && keys[j - 1][0] === from) j--;
    if (j === i) return { pages, repeated }; // one timestamp filled the page: the client stops (end_time did not move)
    repeated += end - j;
    i = j;
  }
}
