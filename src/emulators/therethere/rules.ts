/**
 * The endpoints' rules: POST /api/tickets/import, PUT status and assignee, POST/DELETE tags, POST note,
 * GET ticket. Each takes the parsed request and answers {status, body}; nothing changes unless the
 * whole request is valid.
 */
import { ThereThereStore } from './store.js';
import { MESSAGE_TYPES, TICKET_STATUSES, type AuthorRecord, type FileRecord, type MessageRecord, type TicketRecord, type TokenRecord } from './types.js';
import { inputOf, Validator, type Input } from './validate.js';
import { messageView, ticketDetailView, ticketView } from './views.js';

export interface Answer {
  status: number;
  /** Absent: an empty body (204). */
  body?: unknown;
}

export interface RequestContext {
  store: ThereThereStore;
  token: TokenRecord;
  nowMs: number;
  /** http://host:port, for file URLs. */
  baseUrl: string;
  /** The JSON body (undefined when absent, not JSON or not sent as JSON). */
  json: unknown;
}

export const MAX_SUBJECT = 255;
export const MAX_MESSAGES = 200;
export const MAX_TAGS = 50;
export const MAX_ATTACHMENTS = 10;

const message = (text: string): { message: string } => ({ message: text });

/** Laravel's answer to a route-model binding that finds nothing. */
export const notFound = (model: string, key: string): Answer => ({ status: 404, body: message(`No query results for model [App\\Models\\${model}] ${key}`) });

export const FORBIDDEN: Answer = { status: 403, body: message('This action is unauthorized.') };

const invalid = (v: Validator): Answer => ({ status: 422, body: v.body() });

/** `cid:` references to upload tokens in an HTML body. */
const CID_TOKEN = /cid:(upl_[A-Za-z0-9_-]+)/g;
const cidTokens = (html: string): string[] => [...html.matchAll(CID_TOKEN)].map((m) => m[1] ?? '');

interface UploadList {
  /** `messages.3.` or '' (note). */
  prefix: string;
  entries: [string, unknown][];
  body: string | undefined;
}

/**
 * `attachment_ids.*`: required|string|distinct (across the whole request), an upload token of this
 * workspace and API token that is neither used nor expired; then every cid:upl_… in a body must name
 * a token of that message. Returns the tokens of each list.
 */
function checkUploads(v: Validator, ctx: RequestContext, lists: UploadList[]): string[][] {
  const pairs: [string, string][] = [];
  const tokens = lists.map((list) =>
    list.entries.flatMap(([j, raw]) => {
      const key = `${list.prefix}attachment_ids.${j}`;
      const t = v.string(raw, key, { required: true });
      if (t === undefined) return [];
      pairs.push([key, t]);
      return [t];
    }),
  );
  v.distinct(pairs);
  for (const [key, t] of pairs) if (!v.has(key) && !ctx.store.usableUpload(t, ctx.token.token)) v.invalid(key);
  lists.forEach((list, i) => {
    const own = new Set(tokens[i]);
    for (const ref of cidTokens(list.body ?? '')) {
      if (!own.has(ref)) {
        const key = `${list.prefix}body`;
        v.fail(key, `The ${key.replace(/_/g, ' ')} field references cid:${ref}, which is not one of the upload tokens in ${list.prefix}attachment_ids.`);
      }
    }
  });
  return tokens;
}

/** Moves the uploads onto a message: files in token order, cid:TOKEN rewritten to the inline image's URL. */
function attachFiles(ctx: RequestContext, tokens: string[], body: string): { files: FileRecord[]; body: string } {
  const inline = new Set(cidTokens(body));
  const byToken = new Map<string, FileRecord>();
  const files = tokens.map((t) => {
    const u = ctx.store.uploads.get(t);
    if (!u) throw new Error(`upload ${t} vanished`);
    u.used = true;
    const f: FileRecord = { id: ctx.store.nextId('file'), ulid: ctx.store.ulid.next(), name: u.filename, mimeType: u.mimeType, size: u.size, sha256: u.sha256, inline: inline.has(t) };
    byToken.set(t, f);
    return f;
  });
  const rewritten = body.replace(CID_TOKEN, (whole, t: string) => {
    const f = byToken.get(t);
    return f ? `${ctx.baseUrl}/api/inline-images/${f.ulid}` : whole;
  });
  return { files, body: rewritten };
}

interface MessageInput {
  type: (typeof MESSAGE_TYPES)[number];
  body: string;
  createdAt: number | undefined;
  authorEmail: string | undefined;
  authorName: string | undefined;
  externalId: string | undefined;
}

/** POST /api/tickets/import (admin tokens only). 201 new ticket, 200 the existing one for a known external_id. */
export function importTicket(ctx: RequestContext): Answer {
  if (!ctx.token.admin) return FORBIDDEN;
  const { store } = ctx;
  const input = inputOf(ctx.json);
  const v = new Validator(ctx.nowMs);

  const channelUlid = v.string(input.channel, 'channel', { required: true });
  const channel = channelUlid === undefined ? undefined : store.channel(channelUlid);
  if (channelUlid !== undefined && (channel === undefined || !store.canAccess(ctx.token, channel))) v.invalid('channel');
  const subject = v.string(input.subject, 'subject', { required: true, max: MAX_SUBJECT });
  const status = v.oneOf(input.status, 'status', TICKET_STATUSES, true);
  const createdAt = v.pastDate(input.created_at, 'created_at');
  const closedAt = v.pastDate(input.closed_at, 'closed_at');
  const externalId = v.string(input.external_id, 'external_id', { max: 255 });
  const assigneeEmail = v.email(input.assignee_email, 'assignee_email', false);
  const tags = (v.array(input.tags, 'tags', { max: MAX_TAGS }) ?? []).map(([k, t]) => v.string(t, `tags.${k}`, { required: true, max: 255 }));
  const from = v.object(input.from_contact, 'from_contact');
  const contactEmail = v.email(from.email, 'from_contact.email', true);
  const contactName = v.string(from.name, 'from_contact.name', { max: 255 });

  // Laravel expands each `messages.*.field` rule over every message before the next rule.
  const entries = (v.array(input.messages, 'messages', { required: true, max: MAX_MESSAGES }) ?? []).map(([k, m]): [string, Input] => [k, v.object(m, `messages.${k}`)]);
  const field = <T>(check: (m: Input, key: string) => T): T[] => entries.map(([k, m]) => check(m, `messages.${k}`));
  const types = field((m, p) => v.oneOf(m.type, `${p}.type`, MESSAGE_TYPES, true));
  const bodies = field((m, p) => v.string(m.body, `${p}.body`, { required: true }));
  const times = field((m, p) => v.pastDate(m.created_at, `${p}.created_at`));
  // "The conversation, in chronological order": each dated message is not earlier than the dated one before it.
  let before: [string, number] | undefined;
  entries.forEach(([k], i) => {
    const t = times[i];
    if (t === undefined) return;
    if (before !== undefined) v.afterOrEqual(`messages.${k}.created_at`, t, `messages.${before[0]}.created_at`, before[1]);
    if (before === undefined || t >= before[1]) before = [k, t];
  });
  const authorEmails = field((m, p) => v.email(m.author_email, `${p}.author_email`, false));
  const authorNames = field((m, p) => v.string(m.author_name, `${p}.author_name`, { max: 255 }));
  const externalIds = field((m, p) => v.string(m.external_id, `${p}.external_id`, { max: 255 }));
  const lists = entries.map(([k, m], i): UploadList => ({
    prefix: `messages.${k}.`,
    entries: v.array(m.attachment_ids, `messages.${k}.attachment_ids`, { max: MAX_ATTACHMENTS }) ?? [],
    body: bodies[i],
  }));
  const tokens = checkUploads(v, ctx, lists);
  if (!v.ok) return invalid(v);

  const existing = externalId === undefined ? undefined : store.ticketByExternalId(externalId);
  if (existing) return { status: 200, body: { data: ticketDetailView(store, ctx.baseUrl, existing) } };

  if (channel === undefined || subject === undefined || status === undefined || contactEmail === undefined) throw new Error('validated import lacks a required field');
  const messages: MessageInput[] = types.map((type, i) => ({
    type: type ?? 'inbound',
    body: bodies[i] ?? '',
    createdAt: times[i],
    authorEmail: authorEmails[i],
    authorName: authorNames[i],
    externalId: externalIds[i],
  }));
  const given = messages.map((m) => m.createdAt).filter((t): t is number => t !== undefined);
  const ticketCreatedAt = createdAt ?? (given.length > 0 ? Math.min(...given) : ctx.nowMs);

  const contact = store.contactFor(contactEmail, contactName ?? null);
  const assignee = assigneeEmail === undefined ? undefined : store.memberByEmail(assigneeEmail);
  const id = store.nextId('ticket');
  const ticket: TicketRecord = {
    id,
    ulid: store.ulid.next(),
    number: id,
    externalId: externalId ?? null,
    subject,
    status,
    channel,
    assignee: store.activeMemberWithAccess(assignee, channel) ? assignee : null,
    tags: [],
    contact,
    createdAt: ticketCreatedAt,
    closedAt: null,
    updatedAt: ctx.nowMs,
    messages: [],
  };
  for (const name of tags) {
    const tag = name === undefined ? undefined : store.tagNamed(name);
    if (tag && !ticket.tags.includes(tag)) ticket.tags.push(tag);
  }
  ticket.messages = messages.map((m, i) => {
    const { files, body } = attachFiles(ctx, tokens[i] ?? [], m.body);
    return {
      id: store.nextId('message'),
      ulid: store.ulid.next(),
      type: m.type,
      bodyHtml: body,
      createdAt: m.createdAt ?? ticketCreatedAt,
      author: authorFor(store, ctx.token, m),
      externalId: m.externalId ?? null,
      files,
      seq: store.nextSeq(),
    };
  });
  ThereThereStore.sortMessages(ticket.messages);
  if (status === 'closed') ticket.closedAt = closedAt ?? Math.max(...ticket.messages.map((m) => m.createdAt));
  store.tickets.push(ticket);
  return { status: 201, body: { data: ticketDetailView(store, ctx.baseUrl, ticket) } };
}

/**
 * Inbound: the contact. Outbound and notes: the active member with author_email; else the author_name
 * and author_email given, stored on the message; else (neither given) the token owner.
 */
function authorFor(store: ThereThereStore, token: TokenRecord, m: MessageInput): AuthorRecord {
  if (m.type === 'inbound') return { kind: 'contact' };
  const member = m.authorEmail === undefined ? undefined : store.memberByEmail(m.authorEmail);
  if (member?.active) return { kind: 'member', member };
  if (m.authorEmail !== undefined || m.authorName !== undefined) return { kind: 'stored', email: m.authorEmail ?? null, name: m.authorName ?? null };
  return { kind: 'member', member: token.owner };
}

/** The ticket a path names, if this token may see it. */
export function findTicket(ctx: RequestContext, ulid: string): TicketRecord | undefined {
  const t = ctx.store.ticket(ulid);
  return t && ctx.store.canAccess(ctx.token, t.channel) ? t : undefined;
}

type TicketRoute = (ctx: RequestContext, ticket: TicketRecord, params: string[]) => Answer;

/** Binds {ticket} (404 when unknown or out of the token's channels) before the rule runs. */
export const withTicket =
  (rule: TicketRoute) =>
  (ctx: RequestContext, params: string[]): Answer => {
    const ulid = params[0] ?? '';
    const ticket = findTicket(ctx, ulid);
    return ticket ? rule(ctx, ticket, params.slice(1)) : notFound('Ticket', ulid);
  };

/** GET /api/tickets/{ticket} */
export const getTicket: TicketRoute = (ctx, t) => ({ status: 200, body: { data: ticketDetailView(ctx.store, ctx.baseUrl, t) } });

/** PUT /api/tickets/{ticket}/status {status}: closing sets closed_at to now, any other status clears it. */
export const putStatus: TicketRoute = (ctx, t) => {
  const v = new Validator(ctx.nowMs);
  const status = v.oneOf(inputOf(ctx.json).status, 'status', TICKET_STATUSES, true);
  if (status === undefined) return invalid(v);
  if (status !== t.status) {
    t.closedAt = status === 'closed' ? ctx.nowMs : null;
    t.status = status;
    t.updatedAt = ctx.nowMs;
  }
  return { status: 200, body: { data: ticketView(ctx.store, t) } };
};

/** PUT /api/tickets/{ticket}/assignee {assignee_ulid}: an active member with access to the ticket's channel, or null. */
export const putAssignee: TicketRoute = (ctx, t) => {
  const v = new Validator(ctx.nowMs);
  const input = inputOf(ctx.json);
  if (!('assignee_ulid' in input)) {
    v.fail('assignee_ulid', 'The assignee ulid field must be present.');
    return invalid(v);
  }
  const ulid = v.string(input.assignee_ulid, 'assignee_ulid');
  if (!v.ok) return invalid(v);
  let member = null;
  if (ulid !== undefined) {
    const u = ulid.toUpperCase();
    const m = ctx.store.members.find((x) => x.ulid === u);
    if (!ctx.store.activeMemberWithAccess(m, t.channel)) {
      v.invalid('assignee_ulid');
      return invalid(v);
    }
    member = m;
  }
  if (member !== t.assignee) {
    t.assignee = member;
    t.updatedAt = ctx.nowMs;
  }
  return { status: 200, body: { data: ticketView(ctx.store, t) } };
};

/** POST /api/tickets/{ticket}/tags/{tag}: 200 with the ticket; a tag already there stays once. */
export const addTag: TicketRoute = (ctx, t, [tagUlid = '']) => {
  const tag = ctx.store.tag(tagUlid);
  if (!tag) return notFound('Tag', tagUlid);
  if (!t.tags.includes(tag)) {
    t.tags.push(tag);
    t.updatedAt = ctx.nowMs;
  }
  return { status: 200, body: { data: ticketView(ctx.store, t) } };
};

/** DELETE /api/tickets/{ticket}/tags/{tag}: 204, also when the tag was not on the ticket. */
export const removeTag: TicketRoute = (ctx, t, [tagUlid = '']) => {
  const tag = ctx.store.tag(tagUlid);
  if (!tag) return notFound('Tag', tagUlid);
  if (t.tags.includes(tag)) {
    t.tags = t.tags.filter((x) => x !== tag);
    t.updatedAt = ctx.nowMs;
  }
  return { status: 204 };
};

/** POST /api/tickets/{ticket}/note {body, attachment_ids?}: a silent internal note by the token owner, now. 201 {data: Message}. */
export const postNote: TicketRoute = (ctx, t) => {
  const v = new Validator(ctx.nowMs);
  const input = inputOf(ctx.json);
  const body = v.string(input.body, 'body', { required: true });
  const entries = v.array(input.attachment_ids, 'attachment_ids', { max: MAX_ATTACHMENTS }) ?? [];
  const [tokens = []] = checkUploads(v, ctx, [{ prefix: '', entries, body }]);
  if (!v.ok || body === undefined) return invalid(v);
  const moved = attachFiles(ctx, tokens, body);
  const note: MessageRecord = {
    id: ctx.store.nextId('message'),
    ulid: ctx.store.ulid.next(),
    type: 'note',
    bodyHtml: moved.body,
    createdAt: ctx.nowMs,
    author: { kind: 'member', member: ctx.token.owner },
    externalId: null,
    files: moved.files,
    seq: ctx.store.nextSeq(),
  };
  t.messages.push(note);
  ThereThereStore.sortMessages(t.messages);
  t.updatedAt = ctx.nowMs;
  return { status: 201, body: { data: messageView(ctx.baseUrl, t, note) } };
};
