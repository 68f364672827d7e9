#!/usr/bin/env node
/**
 * The plan-throughput baseline: only evaluate the manifest's compiled JSONata expressions over the same
 * records, with `$htmlToMarkdown` (and the other conversions) from the engine, as the manifest does.
 * No indexes, no state, no validation rules, no hashing, no plan: the floor that `plan` is compared with.
 *
 *   PLAIN_API_KEY=x PLAIN_ENDPOINT=http://127.0.0.1:1/graphql/v1 node bench/eval-baseline.mjs MANIFEST
 *
 * `$record('users', k)` is a Map lookup (users are read into memory first), `$records('comments', k)`
 * returns the ticket's comments, read in step with the tickets (the generator writes them grouped, in
 * ticket order). Prints one JSON line: {tickets, comments, evaluations, ms}.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readJsonl, ticketsWithComments } from './lib/lines.mjs';

const root = resolve(import.meta.dirname, '..');
const { loadManifest } = await import(pathToFileURL(join(root, 'dist/manifest/index.js')).href);
const { htmlToMarkdown, htmlToText, toISO } = await import(pathToFileURL(join(root, 'dist/mapping/convert.js')).href);

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bench/eval-baseline.mjs MANIFEST\n');
  process.exit(2);
}
const started = performance.now();
const manifest = await loadManifest(resolve(file));
const src = (name) => manifest.sources[name].path;

const users = new Map();
for await (const u of readJsonl(src('users'))) users.set(String(u.id), u);

let currentKey;
let currentComments = [];
const table = (name, value) => {
  const t = manifest.tables[name];
  const row = (v) => {
    const k = v === undefined || v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    if (t.rows.has(k)) return t.rows.get(k);
    if (t.hasDefault) return t.defaultValue;
    throw new Error(`no row for ${k} in ${name}`);
  };
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(row).filter((v) => v !== null && v !== undefined);
  return row(value);
};
const bindings = {
  record: (_source, key) => users.get(String(key)),
  records: (_source, key) => (String(key) === currentKey ? currentComments.slice() : []),
  table,
  htmlToMarkdown,
  htmlToText,
  toISO,
};

const t = manifest.threads;
const threadExprs = [t.where, t.externalId, t.title, t.description, t.externalUrl, t.createdAt, t.closedAt, t.status, t.statusDetail, t.priority, t.labels, t.assignee, t.tenant];
if (t.customer.kind === 'expr') threadExprs.push(t.customer.expr);
else threadExprs.push(t.customer.email, t.customer.fullName, t.customer.externalId);
const m = t.messages;
const messageExprs = m ? [m.where, m.externalId, m.type, m.text, m.createdAt, m.author, m.attachments] : [];
const live = (xs) => xs.filter((e) => e && (e.compiled || e.constant));
const threadList = live(threadExprs);
const messageList = live(messageExprs);

async function ev(e, input, b) {
  if (e.constant) return e.constant.value;
  return e.compiled.evaluate(input, b);
}

let tickets = 0;
let comments = 0;
let evaluations = 0;
let sink = 0;
for await (const { ticket, comments: group } of ticketsWithComments(src(t.source), src('comments'))) {
  tickets++;
  currentKey = String(ticket.id);
  currentComments = group;
  for (const e of threadList) {
    const v = await ev(e, ticket, bindings);
    if (v !== undefined) sink++;
    evaluations++;
  }
  if (m) {
    const b = { ...bindings, thread: ticket };
    const each = await ev(m.each, ticket, b);
    evaluations++;
    const list = each === undefined ? [] : Array.isArray(each) ? each : [each];
    for (const c of list) {
      comments++;
      for (const e of messageList) {
        const v = await ev(e, c, b);
        if (v !== undefined) sink++;
        evaluations++;
      }
    }
  }
}
process.stdout.write(`${JSON.stringify({ tickets, comments, evaluations, defined: sink, ms: Math.round(performance.now() - started) })}\n`);
