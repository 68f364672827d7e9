/**
 * The There There target: the `Target` that apply/ talks to, on top of ThereThereClient (one REST
 * request per client call).
 *
 * - A new thread is one POST /api/tickets/import carrying its contact and its first 200 messages;
 *   `external_id` makes a repeat answer the existing ticket (NOOP) instead of a duplicate.
 * - Files are uploaded by this adapter inside the very call that references them (uploads:
 *   'in-request'): upload tokens are single use, and the emulator (like There There) validates them
 *   before it looks up an existing external_id, so every attempt whose request was sent uploads
 *   afresh. Tokens of an attempt that failed before its request (a later upload failed) are kept for
 *   the next attempt. Every request beyond a call's first is paced by the run (`pace`).
 * - Messages past the import (appends) become internal notes, one per request, each headed with what a
 *   note cannot carry (who wrote it, when, its external id). Before posting, the ticket is read: a
 *   note already there with the same header is answered NOOP, so a note whose answer was lost is
 *   never posted twice. The reply endpoint is never used: it emails the customer.
 * - The token goes straight into the client (which keeps it in a closure); this class never holds it.
 */
import { AttachmentError } from '../../attachments/index.js';
import type { Assignee, Customer, Message, Tenant, Thread, ThreadFieldValue } from '../../core/model.js';
import { decodeHtmlEntities, escapeHtmlText } from '../../core/html.js';
import type { ThreadStatusValue } from '../../plan/diff.js';
import type { TargetResult } from '../../state/types.js';
import {
  TargetError,
  type Ack,
  type AttachmentKind,
  type CallOptions,
  type ImportAck,
  type LabelTypeInfo,
  type LocalFile,
  type MessageOutcome,
  type MessageToSend,
  type RateLimitInfo,
  type RemoteThread,
  type Target,
  type TargetCapabilities,
  type ThreadFieldSchemaInfo,
  type ThreadFieldType,
  type UploadTicket,
  type UserInfo,
} from '../types.js';
import {
  ThereThereClient,
  type ImportMessageBody,
  type ImportTicketBody,
  type ThereThereChannel,
  type ThereThereMessage,
  type ThereThereTag,
  type ThereThereTicket,
  type ThereThereUser,
} from './client.js';
import { lowerType } from './mapping.js';
import { MAX_MESSAGES, effectiveMaxFileBytes, type TicketStatus } from './rules.js';

/** There There's documented import rate: 300 imports per minute. */
export const THERETHERE_IMPORTS_PER_MINUTE = 300;

/** A channel given as its ULID (26 Crockford base-32 characters) is used as is; anything else is a name. */
const CHANNEL_ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;

/**
 * How long an upload token that no request has referenced yet is offered to the next attempt of its
 * call. The upload answers with `expires_at`, but a lifetime well inside any sane one needs no clock
 * agreement with the server.
 */
const UNSENT_TOKEN_REUSE_MS = 10 * 60 * 1000;

/** An inline image whose file was not carried: the marker the mapping left (mapping.ts INLINE_CONTENT_ID). */
const LEFTOVER_INLINE_IMG = /<img\b[^>]*\bsrc\s*=\s*["']cid:plain-migrate-inline-\d+["'][^>]*>/gi;
const ALT = /\balt\s*=\s*"([^"]*)"|\balt\s*=\s*'([^']*)'/i;

export function THERETHERE_CAPABILITIES(appendAs: 'skip' | 'note'): TargetCapabilities {
  return {
    displayName: 'There There',
    bodies: 'html',
    updatable: ['status', 'labels', 'assignee'],
    labelsIgnoreCase: true,
    frozen: ['customer', 'createdAt', 'title'],
    // PUT …/status stamps closed_at itself: the export's time cannot be set after import
    frozenWhenSet: ['closedAt'],
    customers: 'inline',
    messagesInImport: MAX_MESSAGES,
    appends: appendAs === 'note' ? 'notes' : 'skip',
    messagesPerAppend: 1,
    labelsCreatedOnlyByImport: true,
    uploads: 'in-request',
    tenants: false,
    threadFields: false,
    maxFileBytes: (_type, configured) => effectiveMaxFileBytes(configured),
    operationLimits: { importThread: THERETHERE_IMPORTS_PER_MINUTE },
  };
}

export interface ThereThereTargetOptions {
  readonly baseUrl: string;
  /** Handed to the client; never kept by the target. */
  readonly token: string;
  /** The channel's ULID, or its name (looked up once). */
  readonly channel: string;
  readonly appendAs: 'skip' | 'note';
  readonly requestTimeoutMs: number;
  readonly workspaceId?: string;
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function unsupported(what: string): TargetError {
  return new TargetError({ code: 'unsupported', message: `There There has no ${what}`, type: 'VALIDATION' }, false);
}

/** The marker a note's header carries, searched for before posting (the same escaping both ways). */
export function noteMarker(externalId: string): string {
  return `Imported message (${escapeHtmlText(externalId)})`;
}

/** What the note endpoint cannot carry (type, author, time, external id), as the note's first paragraph. */
export function noteHeader(m: Message): string {
  const type = lowerType(m.type);
  let who: string;
  if (m.author.kind === 'agent') {
    const name = m.author.name?.trim();
    who = `${type} by ${name ? `${escapeHtmlText(name)} &lt;${escapeHtmlText(m.author.email)}&gt;` : escapeHtmlText(m.author.email)}`;
  } else if (type === 'inbound') {
    who = 'inbound from the contact';
  } else {
    who = type;
  }
  return `<p><em>${noteMarker(m.externalId)}: ${who} on ${escapeHtmlText(m.createdAt)}</em></p>`;
}

/** An inline image whose file is not carried becomes `[image: alt]` (HTML text). */
export function replaceLeftoverInline(html: string): string {
  return html.replace(LEFTOVER_INLINE_IMG, (tag) => {
    const m = ALT.exec(tag);
    const alt = m ? decodeHtmlEntities(m[1] ?? m[2] ?? '') : '';
    return alt === '' ? '[image]' : `[image: ${escapeHtmlText(alt)}]`;
  });
}

/** Members the API may flag as deactivated (the documented list has no such flag; the emulator lists active ones only). */
function inactive(u: ThereThereUser): boolean {
  return u.active === false || u.is_active === false || (typeof u.deactivated_at === 'string' && u.deactivated_at !== '');
}

/** A cached list: fetched once, dropped when the fetch failed so that the next call asks again. */
class Cached<T> {
  private p: Promise<T> | undefined;
  constructor(private readonly load: (o: CallOptions) => Promise<T>) {}
  get(o: CallOptions, fresh = false): Promise<T> {
    if (fresh || this.p === undefined) {
      const p = this.load(o);
      this.p = p;
      p.catch(() => {
        if (this.p === p) this.p = undefined;
      });
    }
    return this.p;
  }
}

export class ThereThereTarget implements Target {
  readonly name = 'therethere';
  readonly capabilities: TargetCapabilities;
  /** Notes are posted one per request. */
  readonly maxMessagesPerCall = 1;
  readonly maxThreadsPerRead = 1;
  private readonly client: ThereThereClient;
  private readonly channel: string;
  private readonly appendAs: 'skip' | 'note';
  private channelUlid: Promise<string> | undefined;
  private readonly members: Cached<ThereThereUser[]>;
  private readonly tags: Cached<ThereThereTag[]>;
  pace?: (signal: AbortSignal) => Promise<void>;
  /** The calls (by their options object: one per attempt) that have made their first request. */
  private readonly started = new WeakSet<CallOptions>();
  /** Upload tokens not yet referenced by a request, by message and file, for the next attempt of a failed call. */
  private readonly unsent = new Map<string, { token: string; until: number }>();

  constructor(opts: ThereThereTargetOptions) {
    this.client = new ThereThereClient({
      baseUrl: opts.baseUrl,
      token: opts.token,
      requestTimeoutMs: opts.requestTimeoutMs,
      ...(opts.workspaceId !== undefined ? { workspaceId: opts.workspaceId } : {}),
      // The run paced a call's first request; the others (uploads, look-ups, the note after its read) are paced here.
      beforeRequest: async (o) => {
        if (!this.started.has(o)) this.started.add(o);
        else await this.pace?.(o.signal);
      },
    });
    this.channel = opts.channel;
    this.appendAs = opts.appendAs;
    this.capabilities = THERETHERE_CAPABILITIES(opts.appendAs);
    this.members = new Cached((o) => this.client.listMembers(o));
    this.tags = new Cached((o) => this.client.listTags(o));
  }

  get onRateLimit(): ((info: RateLimitInfo) => void) | undefined {
    return this.client.onRateLimit;
  }

  set onRateLimit(f: ((info: RateLimitInfo) => void) | undefined) {
    this.client.onRateLimit = f;
  }

  requestCounts(): Record<string, number> {
    return this.client.requestCounts();
  }

  // ---------------------------------------------------------------- channel

  /** The channel's ULID: as configured, or found by name once (exact name first, then any case). */
  private channelId(o: CallOptions): Promise<string> {
    if (CHANNEL_ULID.test(this.channel)) return Promise.resolve(this.channel);
    if (this.channelUlid === undefined) {
      const p = this.client.listChannels(o).then((list) => pickChannel(this.channel, list));
      this.channelUlid = p;
      p.catch((e: unknown) => {
        // A missing channel stays missing; a failed request is asked again.
        if (!(e instanceof TargetError && e.fatal) && this.channelUlid === p) this.channelUlid = undefined;
      });
    }
    return this.channelUlid;
  }

  // ---------------------------------------------------------------- files

  /**
   * Uploads a message's files (fresh tokens on every call: they are single use) and gives the body
   * with `cid:<contentId>` pointing at the tokens, and inline images whose file is not carried as text.
   */
  private async withFiles(m: MessageToSend, body: string, o: CallOptions): Promise<{ body: string; tokens: string[]; keys: string[] }> {
    const tokens: string[] = [];
    const keys: string[] = [];
    for (const [i, f] of (m.files ?? []).entries()) {
      const key = `${m.message.externalId}\u0000${i}\u0000${f.sha256}`;
      const kept = this.unsent.get(key);
      let token: string;
      if (kept && kept.until > Date.now()) token = kept.token;
      else {
        token = await this.upload(m.message, f, o);
        // Until a request references it, the token is good for the next attempt (a later upload of this call may fail).
        if (this.unsent.size >= 1_000) for (const [k, x] of this.unsent) if (x.until <= Date.now()) this.unsent.delete(k);
        this.unsent.set(key, { token, until: Date.now() + UNSENT_TOKEN_REUSE_MS });
      }
      keys.push(key);
      tokens.push(token);
      if (f.contentId !== undefined && f.contentId !== '') {
        body = body.replace(new RegExp(`cid:${escapeRegExp(f.contentId)}(?![\\w.@-])`, 'g'), () => `cid:${token}`);
      }
    }
    return { body: replaceLeftoverInline(body), tokens, keys };
  }

  /** Tokens about to be referenced by a request: never offered again (a request that fails may still have used them). */
  private spend(keys: readonly string[]): void {
    for (const k of keys) this.unsent.delete(k);
  }

  private async upload(m: Message, f: LocalFile, o: CallOptions): Promise<string> {
    try {
      const u = await this.client.uploadAttachment(f.path, f.fileName, f.contentType, f.size, o);
      return u.token;
    } catch (e) {
      if (e instanceof AttachmentError) {
        throw new TargetError(
          { code: `attachment_${e.code}`, message: `message ${m.externalId}: ${e.message}`, type: 'ATTACHMENT' },
          e.retryable,
        );
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- import

  async importThread(t: Thread, _customerId: string | undefined, o: CallOptions, _tenantId?: string, messages: readonly MessageToSend[] = []): Promise<ImportAck> {
    const channel = await this.channelId(o);
    const bodies: ImportMessageBody[] = [];
    const keys: string[] = [];
    for (const m of messages) {
      const b = await this.importMessageBody(m, o);
      bodies.push(b.body);
      keys.push(...b.keys);
    }
    const name = t.customer.fullName;
    const body: ImportTicketBody = {
      channel,
      subject: t.title,
      status: t.status as TicketStatus,
      created_at: t.createdAt,
      ...(t.status === 'closed' && t.closedAt ? { closed_at: t.closedAt } : {}),
      external_id: t.externalId,
      ...(t.assignee && 'email' in t.assignee ? { assignee_email: t.assignee.email } : {}),
      ...(t.labelTypeIds.length > 0 ? { tags: t.labelTypeIds } : {}),
      from_contact: { email: t.customer.email, ...(name && name.trim() !== '' ? { name } : {}) },
      messages: bodies,
    };
    this.spend(keys);
    const { ticket, created } = await this.client.importTicket(body, o).catch((e: unknown) => {
      throw refusedChannel(e, channel) ?? e;
    });
    // The page does not say which status a repeat answers with: 201 is taken as a new ticket and 200
    // as the existing one, and a "new" ticket without exactly the messages sent as the existing one.
    const fresh = created && (ticket.messages ?? []).length === messages.length;
    const result: TargetResult = fresh ? 'CREATED' : 'NOOP';
    // The answer is the ticket as There There has it: an existing one needs no second read.
    return { id: ticket.ulid, result, messages: messageAcks(ticket, messages, result), ...(fresh ? {} : { remote: remoteOf(ticket) }) };
  }

  private async importMessageBody(m: MessageToSend, o: CallOptions): Promise<{ body: ImportMessageBody; keys: string[] }> {
    const msg = m.message;
    const type = lowerType(msg.type);
    const { body, tokens, keys } = await this.withFiles(m, msg.text, o);
    let author: { author_email?: string; author_name?: string } = {};
    if (type !== 'inbound') {
      if (msg.author.kind !== 'agent') throw new Error(`internal: a There There ${type} message (${msg.externalId}) needs an agent author by email`);
      const n = msg.author.name;
      author = { author_email: msg.author.email, ...(n !== undefined && n.trim() !== '' ? { author_name: n } : {}) };
    }
    return {
      body: {
        type,
        body,
        created_at: msg.createdAt,
        external_id: msg.externalId,
        ...author,
        ...(tokens.length > 0 ? { attachment_ids: tokens } : {}),
      },
      keys,
    };
  }

  /** Appends, as internal notes: one per call, never twice (see the file comment). */
  async importMessages(threadId: string, messages: readonly MessageToSend[], o: CallOptions): Promise<MessageOutcome[]> {
    if (this.appendAs !== 'note') throw new Error('internal: There There appends messages only as notes (target.therethere.appendAs: note)');
    if (messages.length !== 1) throw new Error(`internal: ${messages.length} messages in one There There note call (one per call)`);
    const m = messages[0] as MessageToSend;
    const marker = noteMarker(m.message.externalId);
    const ticket = await this.client.getTicket(threadId, o);
    if (ticket === null) {
      throw new TargetError(
        { code: 'not_found', message: `There There has no ticket ${threadId} (deleted, or in a channel this token cannot reach)`, type: 'NOT_FOUND' },
        false,
      );
    }
    const existing = (ticket.messages ?? []).find((x) => (x.type === undefined || x.type === 'note') && (x.body_html ?? '').includes(marker));
    if (existing) return [{ ok: true, ack: { id: existing.ulid, result: 'NOOP' } }];
    const { body, tokens, keys } = await this.withFiles(m, m.message.text, o);
    this.spend(keys);
    const note = await this.client.addNote(threadId, noteHeader(m.message) + body, o, tokens);
    return [{ ok: true, ack: { id: note.ulid, result: 'CREATED' } }];
  }

  // ---------------------------------------------------------------- read and update

  async readThreads(ids: readonly string[], o: CallOptions): Promise<Array<RemoteThread | null>> {
    const out: Array<RemoteThread | null> = [];
    for (const id of ids) {
      const t = await this.client.getTicket(id, o);
      out.push(t === null ? null : remoteOf(t));
    }
    return out;
  }

  async changeStatus(threadId: string, status: ThreadStatusValue, o: CallOptions): Promise<void> {
    await this.client.setStatus(threadId, status.status as TicketStatus, o);
  }

  async assign(threadId: string, assignee: Assignee | null, o: CallOptions): Promise<void> {
    if (assignee === null) {
      await this.client.setAssignee(threadId, null, o);
      return;
    }
    if (!('email' in assignee)) {
      throw new TargetError({ code: 'unsupported', message: 'There There assigns tickets to members by email, not by user id', type: 'VALIDATION' }, false);
    }
    const member = await this.memberByEmail(assignee.email, o, true);
    if (member === undefined || inactive(member) || typeof member.ulid !== 'string') {
      throw new TargetError(
        {
          code: 'member_not_found',
          message: `There There has no active member with the email ${JSON.stringify(assignee.email)} to assign the ticket to`,
          type: 'VALIDATION',
        },
        false,
      );
    }
    await this.client.setAssignee(threadId, member.ulid, o);
  }

  async addLabels(threadId: string, names: readonly string[], o: CallOptions): Promise<void> {
    const ulids: string[] = [];
    for (const name of names) {
      const tag = await this.tagByName(name, o);
      if (tag === undefined) {
        throw new TargetError(
          {
            code: 'tag_not_found',
            message: `There There has no tag named ${JSON.stringify(name)}; an update cannot create tags (only an import does): create it in There There, or map to an existing tag`,
            type: 'VALIDATION',
          },
          false,
        );
      }
      ulids.push(tag.ulid);
    }
    for (const ulid of ulids) await this.client.addTag(threadId, ulid, o);
  }

  async removeLabels(threadId: string, labelIds: readonly string[], o: CallOptions): Promise<void> {
    for (const id of labelIds) await this.client.removeTag(threadId, id, o);
  }

  async userByEmail(email: string, o: CallOptions): Promise<UserInfo | null> {
    const m = await this.memberByEmail(email, o, false);
    if (m === undefined) return null;
    return { id: m.email, email: m.email, fullName: m.name ?? '', isDeleted: inactive(m) };
  }

  /** Case-insensitive; `refetch`: a miss in the cached list asks There There once more. */
  private async memberByEmail(email: string, o: CallOptions, refetch: boolean): Promise<ThereThereUser | undefined> {
    const want = email.trim().toLowerCase();
    const find = (list: readonly ThereThereUser[]) => list.find((m) => typeof m.email === 'string' && m.email.toLowerCase() === want);
    const hit = find(await this.members.get(o));
    if (hit !== undefined || !refetch) return hit;
    return find(await this.members.get(o, true));
  }

  /** Exact name first, then any case (There There matches tag names case-insensitively); a miss refetches once. */
  private async tagByName(name: string, o: CallOptions): Promise<ThereThereTag | undefined> {
    const find = (list: readonly ThereThereTag[]) =>
      list.find((t) => t.name === name) ?? list.find((t) => typeof t.name === 'string' && t.name.toLowerCase() === name.toLowerCase());
    return find(await this.tags.get(o)) ?? find(await this.tags.get(o, true));
  }

  /** The workspace's tags (by name: a tag's name is what a ticket is given). */
  async listLabelTypes(o: CallOptions): Promise<LabelTypeInfo[]> {
    return (await this.tags.get(o, true)).filter((t) => typeof t.name === 'string').map((t) => ({ id: t.name, name: t.name, archived: false }));
  }

  async listThreadFieldSchemas(_o: CallOptions): Promise<ThreadFieldSchemaInfo[]> {
    return [];
  }

  // ---------------------------------------------------------------- what There There has no way to do

  async upsertCustomer(_c: Customer, _o: CallOptions): Promise<Ack> {
    throw unsupported('customer upsert: the import carries the contact');
  }

  async createLabelType(_name: string, _o: CallOptions): Promise<Ack> {
    throw unsupported('label types: tags are named on import');
  }

  async upsertTenant(_t: Tenant, _o: CallOptions): Promise<Ack> {
    throw unsupported('tenants');
  }

  async addCustomerToTenants(_customerId: string, _tenantIds: readonly string[], _o: CallOptions): Promise<void> {
    throw unsupported('tenants');
  }

  async setThreadField(_threadId: string, _key: string, _type: ThreadFieldType, _value: ThreadFieldValue, _o: CallOptions): Promise<void> {
    throw unsupported('thread fields');
  }

  async createAttachmentUploadUrl(_customerId: string, _fileName: string, _size: number, _kind: AttachmentKind, _o: CallOptions): Promise<UploadTicket> {
    throw unsupported('upload URLs: files are uploaded with the request that references them');
  }

  async updateTitle(_threadId: string, _title: string, _o: CallOptions): Promise<void> {
    throw unsupported('way to change a ticket’s subject after import');
  }

  async changePriority(_threadId: string, _priority: number, _o: CallOptions): Promise<void> {
    throw unsupported('priorities');
  }
}

// ---------------------------------------------------------------- helpers

function pickChannel(name: string, list: readonly ThereThereChannel[]): string {
  const exact = list.filter((c) => c.name === name);
  const any = exact.length > 0 ? exact : list.filter((c) => typeof c.name === 'string' && c.name.toLowerCase() === name.toLowerCase());
  if (any.length === 1) return (any[0] as ThereThereChannel).ulid;
  const names = list.map((c) => c.name).join(', ') || 'none';
  const message =
    any.length === 0
      ? `There There has no channel named ${JSON.stringify(name)} that this token can reach (channels: ${names})`
      : `There There has ${any.length} channels named ${JSON.stringify(name)}; set target.therethere.channel to the ULID of one (${any.map((c) => c.ulid).join(', ')})`;
  return failChannel(any.length === 0 ? 'channel_not_found' : 'channel_ambiguous', message);
}

/** An import refused for its channel (a ULID this token cannot reach): every import would be, so the run stops. */
function refusedChannel(e: unknown, channel: string): TargetError | undefined {
  if (!(e instanceof TargetError) || e.recorded.code !== 'validation' || !(e.recorded.fields ?? []).some((f) => f.field === 'channel')) return undefined;
  return new TargetError(
    {
      code: 'channel_refused',
      message: `There There refused the channel ${channel} for the import: target.therethere.channel must name a channel this token can reach (its ULID, from the channel's settings page, or its name)`,
      type: 'VALIDATION',
    },
    false,
    undefined,
    true,
  );
}

function failChannel(code: string, message: string): never {
  throw new TargetError({ code, message, type: 'VALIDATION' }, false, undefined, true);
}

/**
 * One ack per message sent, in order: the ticket's message with its external_id when the answer
 * shows them (Get Ticket documents none), else the first unused one of the same type and time (to the
 * second: the answer has no milliseconds). A new
 * ticket holds exactly the messages sent, so one left unmatched there (a time the API rewrote) is
 * acked by position. An existing ticket (NOOP: an earlier import of this external_id, whose messages
 * may differ from today's) acks only what it has; a message it lacks gets no ack and is appended.
 */
function messageAcks(ticket: ThereThereTicket, sent: readonly MessageToSend[], result: TargetResult): Array<Ack | undefined> {
  const got: readonly ThereThereMessage[] = ticket.messages ?? [];
  const unused = [...got];
  const take = (i: number): ThereThereMessage | undefined => {
    const [m] = i < 0 ? [] : unused.splice(i, 1);
    return m;
  };
  return sent.map((s, position) => {
    const ext = s.message.externalId;
    const type = lowerType(s.message.type);
    const at = toSecond(Date.parse(s.message.createdAt));
    const m =
      take(unused.findIndex((x) => typeof x.external_id === 'string' && x.external_id === ext)) ??
      take(unused.findIndex((x) => x.external_id == null && (x.type ?? type) === type && typeof x.created_at === 'string' && toSecond(Date.parse(x.created_at)) === at));
    if (m) return { id: m.ulid, result };
    return result === 'CREATED' ? { id: got[position]?.ulid ?? `${ticket.ulid}/${ext}`, result } : undefined;
  });
}

/** There There answers times to the second (`2025-06-01T10:30:00+00:00`); exports may carry milliseconds. */
const toSecond = (ms: number): number => Math.floor(ms / 1000);

function remoteOf(t: ThereThereTicket): RemoteThread {
  const tags = t.tags ?? [];
  return {
    id: t.ulid,
    title: t.subject ?? '',
    status: { status: t.status ?? '', statusDetail: null },
    labels: tags.map((x) => x.name).sort(),
    labelIds: tags.map((x) => ({ id: x.ulid, labelTypeId: x.name })),
    assignee: t.assignee ? { email: t.assignee.email } : null,
  };
}
