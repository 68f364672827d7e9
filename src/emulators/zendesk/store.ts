/**
 * The account the Zendesk emulator serves: tickets (with generated_timestamp), users, organizations,
 * comments, status changes (the ticket events) and attachments. reset() rebuilds it from the seed.
 */
import { isAbsolute, resolve } from 'node:path';
import { parseIso8601 } from '../common/iso8601.js';
import type { AttachmentRecord, CommentRecord, StatusChangeRecord, TicketRecord, TimedRecord, ZdObject, ZendeskSeed } from './types.js';

/** The time of records that carry none: 2020-01-01T00:00:00Z. */
export const FALLBACK_MS = Date.UTC(2020, 0, 1);
/** Status-change event ids start here (comment audits are comment id × 10). */
const CHANGE_ID_BASE = 1_000_000_000_000;

export const toSec = (ms: number): number => Math.floor(ms / 1000);
/** Zendesk's timestamp format: whole seconds, "Z". */
export const isoSec = (ms: number): string => new Date(toSec(ms) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function msOf(...values: unknown[]): number | undefined {
  for (const v of values) {
    if (typeof v !== 'string') continue;
    const ms = parseIso8601(v);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

const clone = <T>(v: T): T => structuredClone(v);

export class ZendeskStore {
  tickets = new Map<number, TicketRecord>();
  users = new Map<number, TimedRecord>();
  organizations = new Map<number, TimedRecord>();
  /** Per ticket, in insertion order (views sort). */
  comments = new Map<number, CommentRecord[]>();
  statusChanges: StatusChangeRecord[] = [];
  attachments = new Map<number, AttachmentRecord>();
  ticketFields: ZdObject[] = [];
  private nextCommentId = 1;
  private nextChangeId = CHANGE_ID_BASE;

  constructor(
    private readonly seed: ZendeskSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    this.tickets.clear();
    this.users.clear();
    this.organizations.clear();
    this.comments.clear();
    this.attachments.clear();
    this.statusChanges = [];
    this.nextChangeId = CHANGE_ID_BASE;
    this.nextCommentId = 1;
    for (const raw of this.seed.tickets ?? []) {
      const data = clone(raw);
      const gts = typeof data.generated_timestamp === 'number' ? data.generated_timestamp : toSec(msOf(data.updated_at, data.created_at) ?? FALLBACK_MS);
      this.putTicket(data, gts);
    }
    for (const raw of this.seed.users ?? []) this.putTimed(this.users, clone(raw), undefined);
    for (const raw of this.seed.organizations ?? []) this.putTimed(this.organizations, clone(raw), undefined);
    for (const raw of this.seed.comments ?? []) {
      const data = clone(raw);
      const ticketId = data.ticket_id as number;
      const createdMs = msOf(data.created_at, this.tickets.get(ticketId)?.data.created_at) ?? FALLBACK_MS;
      this.putComment(data, createdMs, toSec(createdMs));
    }
    this.ticketFields = (this.seed.ticketFields ?? []).map(clone);
  }

  private putTicket(data: ZdObject, gts: number): TicketRecord {
    const aiAgent = data.ai_agent === true;
    delete data.ai_agent;
    delete data.generated_timestamp;
    const rec: TicketRecord = { id: data.id as number, data, generatedTimestamp: gts, aiAgent };
    this.tickets.set(rec.id, rec);
    return rec;
  }

  private putTimed(map: Map<number, TimedRecord>, data: ZdObject, ts: number | undefined): void {
    const id = data.id as number;
    map.set(id, { id, data, ts: ts ?? toSec(msOf(data.updated_at, data.created_at) ?? FALLBACK_MS) });
  }

  private putComment(data: ZdObject, createdMs: number, eventTs: number): CommentRecord {
    const ticketId = data.ticket_id as number;
    delete data.ticket_id;
    const rec: CommentRecord = { id: data.id as number, ticketId, data, createdMs, eventTs };
    const list = this.comments.get(ticketId) ?? [];
    list.push(rec);
    this.comments.set(ticketId, list);
    this.nextCommentId = Math.max(this.nextCommentId, rec.id + 1);
    for (const a of Array.isArray(data.attachments) ? (data.attachments as ZdObject[]) : []) {
      const local = typeof a.local_path === 'string' ? (isAbsolute(a.local_path) ? a.local_path : resolve(a.local_path)) : undefined;
      this.attachments.set(a.id as number, {
        id: a.id as number,
        fileName: String(a.file_name),
        contentType: typeof a.content_type === 'string' ? a.content_type : 'application/octet-stream',
        size: typeof a.size === 'number' ? a.size : 0,
        localPath: local,
      });
    }
    return rec;
  }

  // ------------------------------------------------------------ changes (the account hook)

  /** Merges into the ticket with this id, or creates it; the status change (if any) becomes a ticket event. */
  upsertTicket(patch: ZdObject): void {
    const nowMs = this.now();
    const stamp = isoSec(nowMs);
    const id = patch.id as number;
    const existing = this.tickets.get(id);
    const { ai_agent: ai, generated_timestamp: _g, ...fields } = patch;
    if (existing) {
      const before = existing.data.status;
      Object.assign(existing.data, clone(fields), { updated_at: stamp });
      existing.generatedTimestamp = toSec(nowMs);
      if (typeof ai === 'boolean') existing.aiAgent = ai;
      if (fields.status !== undefined && fields.status !== before) this.recordStatus(id, before, fields.status, nowMs);
      return;
    }
    const data: ZdObject = { id, url: null, external_id: null, via: { channel: 'api' }, created_at: stamp, subject: null, status: 'new', tags: [], ...clone(fields), updated_at: stamp };
    if (ai === true) data.ai_agent = true;
    this.putTicket(data, toSec(nowMs));
    this.recordStatus(id, null, data.status, nowMs);
  }

  /** Soft-deletes: status "deleted". */
  deleteTicket(id: number): void {
    this.upsertTicket({ id, status: 'deleted' });
  }

  /** Appends a comment (with ticket_id) and bumps its ticket. */
  addComment(input: ZdObject): void {
    const nowMs = this.now();
    const data: ZdObject = { type: 'Comment', public: true, ...clone(input) };
    data.id ??= this.nextCommentId;
    data.created_at ??= isoSec(nowMs);
    const createdMs = msOf(data.created_at) ?? nowMs;
    const rec = this.putComment(data, createdMs, toSec(nowMs));
    const ticket = this.tickets.get(rec.ticketId);
    if (ticket) {
      ticket.data.updated_at = isoSec(nowMs);
      ticket.generatedTimestamp = toSec(nowMs);
    }
  }

  upsertUser(patch: ZdObject): void {
    this.upsertTimed(this.users, patch);
  }

  upsertOrganization(patch: ZdObject): void {
    this.upsertTimed(this.organizations, patch);
  }

  private upsertTimed(map: Map<number, TimedRecord>, patch: ZdObject): void {
    const nowMs = this.now();
    const stamp = isoSec(nowMs);
    const existing = map.get(patch.id as number);
    if (existing) {
      Object.assign(existing.data, clone(patch), { updated_at: stamp });
      existing.ts = toSec(nowMs);
    } else {
      this.putTimed(map, { created_at: stamp, ...clone(patch), updated_at: stamp }, toSec(nowMs));
    }
  }

  private recordStatus(ticketId: number, previous: unknown, value: unknown, nowMs: number): void {
    this.statusChanges.push({ id: this.nextChangeId, ticketId, ts: toSec(nowMs), previous, value });
    // even ids for the audit, odd for its one child event
    this.nextChangeId += 2;
  }

  hasComment(id: number): boolean {
    for (const list of this.comments.values()) if (list.some((c) => c.id === id)) return true;
    return false;
  }

  // ------------------------------------------------------------ reads

  ticketView(rec: TicketRecord): ZdObject {
    return { ...clone(rec.data), generated_timestamp: rec.generatedTimestamp };
  }

  /** A ticket's comments, ascending by created_at then id. */
  ticketComments(ticketId: number): CommentRecord[] {
    return [...(this.comments.get(ticketId) ?? [])].sort((a, b) => a.createdMs - b.createdMs || a.id - b.id);
  }

  /** GET /__emulator/state. */
  snapshot(): unknown {
    const byId = <T extends { id: number }>(m: Map<number, T>): T[] => [...m.values()].sort((a, b) => a.id - b.id);
    return {
      tickets: byId(this.tickets).map((t) => ({ ...this.ticketView(t), ...(t.aiAgent ? { ai_agent: true } : {}) })),
      users: byId(this.users).map((u) => clone(u.data)),
      organizations: byId(this.organizations).map((o) => clone(o.data)),
      comments: Object.fromEntries([...this.comments.keys()].sort((a, b) => a - b).map((k) => [String(k), this.ticketComments(k).map((c) => c.id)])),
      statusChanges: this.statusChanges.map((s) => ({ ...s })),
    };
  }
}
