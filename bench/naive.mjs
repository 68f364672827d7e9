#!/usr/bin/env node
/**
 * The naive importer the apply benchmark compares with: one request at a time (nothing in flight while
 * waiting for an answer), written the way a first script against Plain's API usually is.
 *
 *   node bench/naive.mjs --dir WORKSPACE --endpoint URL --mode per-message|batched --budget-ms MS
 *
 *   per-message  upsertCustomer, importThread, then one importThreadMessages call per message
 *   batched      the same, but importThreadMessages with up to 25 messages per call
 *
 * It maps the same records to the same inputs as the benchmark manifest (same tables, same
 * $htmlToMarkdown from dist/) with plain JavaScript, and sends them with fetch and the engine's own
 * GraphQL documents. It stops before the first request after --budget-ms (the full data would take
 * far too long at one request at a time) and prints one JSON line with what it did, so that the runner
 * can project the time for the whole data set.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { agents, labelTypes, CUSTOMER_BASE } from './generate.mjs';
import { readJsonl, ticketsWithComments } from './lib/lines.mjs';

const root = resolve(import.meta.dirname, '..');
const { htmlToMarkdown } = await import(pathToFileURL(join(root, 'dist/mapping/convert.js')).href);
const docs = await import(pathToFileURL(join(root, 'dist/targets/plain/documents.js')).href);

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const dir = resolve(args.dir);
const endpoint = args.endpoint;
const mode = args.mode ?? 'per-message';
const budgetMs = Number(args['budget-ms'] ?? 10_000);
const perCall = mode === 'batched' ? 25 : 1;

const STATUS = {
  new: ['TODO', 'NEW_REPLY'],
  open: ['TODO', 'IN_PROGRESS'],
  hold: ['TODO', 'IN_PROGRESS'],
  pending: ['SNOOZED', 'WAITING_FOR_CUSTOMER'],
  solved: ['DONE', 'DONE_MANUALLY_SET'],
  closed: ['DONE', 'DONE_MANUALLY_SET'],
};
const PRIORITY = { urgent: 0, high: 1, normal: 2, low: 3 };
const agentByZendeskId = new Map(agents().map((a) => [a.zendeskId, a]));
const labelByTag = new Map(labelTypes().map((l) => [l.name, l.id]));

const users = new Map();
for await (const u of readJsonl(join(dir, 'export/users.jsonl'))) if (u.id >= CUSTOMER_BASE) users.set(u.id, u);

let requests = 0;
const byOperation = {};
let started = performance.now();
class OutOfTime extends Error {}
async function gql(operation, query, variables) {
  if (performance.now() - started >= budgetMs) throw new OutOfTime();
  requests++;
  byOperation[operation] = (byOperation[operation] ?? 0) + 1;
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer naive' },
      body: JSON.stringify({ query, variables, operationName: operation }),
    });
    const body = await res.json();
    if (res.status === 429 && attempt < 5) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    if (res.status !== 200 || body.errors) throw new Error(`${operation}: HTTP ${res.status} ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
    const out = body.data[operation];
    if (out.error) throw new Error(`${operation}: ${JSON.stringify(out.error).slice(0, 300)}`);
    return out;
  }
}

const customers = new Map();
started = performance.now();
let threads = 0;
let messages = 0;
async function importOne(ticket, comments) {
  const requester = users.get(ticket.requester_id);
  let customerId = customers.get(requester.email);
  if (!customerId) {
    const out = await gql('upsertCustomer', docs.UPSERT_CUSTOMER, {
      input: {
        identifier: { emailAddress: requester.email },
        onCreate: { fullName: requester.name, email: { email: requester.email, isVerified: true }, externalId: `zd-user-${requester.id}` },
        onUpdate: {},
      },
    });
    customerId = out.customer.id;
    customers.set(requester.email, customerId);
  }
  const [status, statusDetail] = STATUS[ticket.status];
  const assignee = ticket.assignee_id ? agentByZendeskId.get(ticket.assignee_id) : undefined;
  const labelTypeIds = ticket.tags.map((t) => labelByTag.get(t)).filter(Boolean);
  const thread = await gql('importThread', docs.IMPORT_THREAD, {
    input: {
      customerIdentifier: { customerId },
      title: ticket.subject,
      externalId: `zd-${ticket.id}`,
      externalUrl: `https://acme.zendesk.com/agent/tickets/${ticket.id}`,
      priority: PRIORITY[ticket.priority] ?? 2,
      status,
      statusDetail: { type: statusDetail },
      ...(labelTypeIds.length > 0 ? { labelTypeIds } : {}),
      ...(assignee ? { assignedTo: { userId: assignee.id } } : {}),
      createdAt: ticket.created_at,
    },
  });
  const threadMessages = comments
    .map((c) => {
      const byRequester = c.author_id === ticket.requester_id;
      const agent = agentByZendeskId.get(c.author_id);
      return {
        externalId: `zd-comment-${c.id}`,
        type: c.public ? (byRequester ? 'INBOUND' : 'OUTBOUND') : 'NOTE',
        text: htmlToMarkdown(c.html_body),
        createdAt: c.created_at,
        author: byRequester ? { customerId } : { userId: agent.id },
      };
    })
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  for (let i = 0; i < threadMessages.length; i += perCall) {
    await gql('importThreadMessages', docs.IMPORT_THREAD_MESSAGES, { input: { threadId: thread.thread.id, threadMessages: threadMessages.slice(i, i + perCall) } });
  }
  threads++;
  messages += threadMessages.length;
}

try {
  for await (const { ticket, comments } of ticketsWithComments(join(dir, 'export/tickets.jsonl'), join(dir, 'export/comments.jsonl'))) {
    await importOne(ticket, comments);
  }
} catch (e) {
  if (!(e instanceof OutOfTime)) throw e;
}
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ mode, threads, messages, customers: customers.size, requests, byOperation, ms: Math.round(ms) })}\n`);
