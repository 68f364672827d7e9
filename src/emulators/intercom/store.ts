/**
 * The workspace the Intercom emulator serves, and the account-change hook (POST /__emulator/account):
 * conversations with all their parts, contacts, admins, tags and attachments. reset() rebuilds it from the
 * seed. Every change stamps updated_at with the emulator's clock in unix seconds (source-formats.md §4).
 */
import { isAbsolute, resolve } from 'node:path';
import type { IcObject, IntercomAccountChange, IntercomSeed } from './types.js';

const clone = <T>(v: T): T => structuredClone(v);
export class AccountChangeError extends Error {}

export interface AttachmentRecord {
  key: string;
  name: string;
  contentType: string;
  size: number;
  localPath: string | undefined;
}

export interface StoredConversation {
  id: string;
  /** The conversation without conversation_parts. */
  data: IcObject;
  /** Every part, oldest first. */
  parts: IcObject[];
  deletedAt?: number;
}

export interface Timed {
  id: string;
  data: IcObject;
}

const isObject = (v: unknown): v is IcObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const secs = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : fallback);

export class IntercomStore {
  conversations = new Map<string, StoredConversation>();
  contacts = new Map<string, Timed>();
  admins = new Map<string, Timed>();
  tags = new Map<string, Timed>();
  attachments = new Map<string, AttachmentRecord>();
  private nextPartId = 1;

  constructor(
    private readonly seed: IntercomSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  nowS(): number {
    return Math.floor(this.now() / 1000);
  }

  reset(): void {
    for (const m of [this.conversations, this.contacts, this.admins, this.tags, this.attachments]) m.clear();
    this.nextPartId = 1;
    for (const c of this.seed.conversations ?? []) this.putConversation(clone(c));
    for (const c of this.seed.contacts ?? []) this.contacts.set(String(c.id), { id: String(c.id), data: clone(c) });
    for (const a of this.seed.admins ?? []) this.admins.set(String(a.id), { id: String(a.id), data: clone(a) });
    for (const t of this.seed.tags ?? []) this.tags.set(String(t.id), { id: String(t.id), data: clone(t) });
  }

  private putConversation(c: IcObject): void {
    const list = isObject(c.conversation_parts) && Array.isArray(c.conversation_parts.conversation_parts) ? (c.conversation_parts.conversation_parts as IcObject[]) : [];
    const { conversation_parts: _p, deleted_at, ...data } = c;
    const parts = [...list].sort((a, b) => secs(a.created_at, 0) - secs(b.created_at, 0) || Number(a.id) - Number(b.id));
    for (const p of parts) this.notePart(p);
    if (isObject(data.source)) this.noteAttachments(data.source, `src${String(data.source.id ?? c.id)}`);
    const id = String(c.id);
    this.conversations.set(id, { id, data, parts, ...(typeof deleted_at === 'number' ? { deletedAt: deleted_at } : {}) });
    this.syncStatistics(this.conversations.get(id)!);
  }

  private notePart(p: IcObject): void {
    const n = Number(p.id);
    if (Number.isInteger(n)) this.nextPartId = Math.max(this.nextPartId, n + 1);
    this.noteAttachments(p, `p${String(p.id)}`);
  }

  private noteAttachments(holder: IcObject, prefix: string): void {
    (Array.isArray(holder.attachments) ? (holder.attachments as IcObject[]) : []).forEach((a, i) => {
      const key = `${prefix}-${i}`;
      const local = typeof a.local_path === 'string' ? (isAbsolute(a.local_path) ? a.local_path : resolve(a.local_path)) : undefined;
      a.__key = key;
      this.attachments.set(key, {
        key,
        name: String(a.name ?? 'file'),
        contentType: typeof a.content_type === 'string' ? a.content_type : 'application/octet-stream',
        size: typeof a.filesize === 'number' ? a.filesize : 0,
        localPath: local,
      });
    });
  }

  /** statistics.count_conversation_parts holds the true number of parts (§4: compare it to detect the 500 cap). */
  private syncStatistics(c: StoredConversation): void {
    const stats = isObject(c.data.statistics) ? c.data.statistics : {};
    c.data.statistics = { type: 'conversation_statistics', ...stats, count_conversation_parts: c.parts.length };
  }

  /** Conversations that are not deleted. */
  live(): StoredConversation[] {
    return [...this.conversations.values()].filter((c) => c.deletedAt === undefined);
  }

  // ------------------------------------------------------------ the account-change hook

  /** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
  change(body: unknown): void {
    const KEYS = ['conversations', 'parts', 'contacts', 'admins', 'deleteConversations'];
    if (!isObject(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
    for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
    const list = (key: string, needId: boolean): IcObject[] => {
      const v = body[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every(isObject)) throw new AccountChangeError(`"${key}" must be a list of objects`);
      v.forEach((o, i) => {
        if (needId && (typeof o.id !== 'string' || o.id === '')) throw new AccountChangeError(`${key}[${i}].id is required and must be a string (Intercom ids are strings)`);
        for (const t of ['created_at', 'updated_at']) if (o[t] !== undefined && !(typeof o[t] === 'number' && Number.isInteger(o[t]))) throw new AccountChangeError(`${key}[${i}].${t} must be unix seconds (an integer)`);
      });
      return v;
    };
    const c: Required<IntercomAccountChange> = {
      conversations: list('conversations', true),
      parts: list('parts', false),
      contacts: list('contacts', true),
      admins: list('admins', true),
      deleteConversations: [],
    };
    const ids = new Set([...this.live().map((x) => x.id), ...c.conversations.map((x) => String(x.id))]);
    c.parts.forEach((p, i) => {
      if (typeof p.conversation_id !== 'string' || !ids.has(p.conversation_id)) throw new AccountChangeError(`parts[${i}].conversation_id must be a conversation of the workspace`);
    });
    const del = body.deleteConversations ?? [];
    if (!Array.isArray(del) || !del.every((x) => typeof x === 'string' && ids.has(x))) throw new AccountChangeError('"deleteConversations" must be a list of conversation ids of the workspace');
    c.deleteConversations = del as string[];

    const now = this.nowS();
    for (const o of c.contacts) this.upsert(this.contacts, o, now);
    for (const o of c.admins) this.upsert(this.admins, o, now);
    for (const o of c.conversations) {
      const existing = this.conversations.get(String(o.id));
      if (existing && existing.deletedAt === undefined) {
        Object.assign(existing.data, clone(o), { updated_at: now });
        if (isObject(existing.data.source)) this.noteAttachments(existing.data.source, `src${String(existing.id)}`);
      } else {
        this.putConversation({ type: 'conversation', created_at: now, state: 'open', open: true, tags: { type: 'tag.list', tags: [] }, ...clone(o), updated_at: now, conversation_parts: { conversation_parts: [] } });
      }
    }
    for (const p of c.parts) {
      const conv = this.conversations.get(p.conversation_id as string)!;
      const { conversation_id: _c, ...rest } = clone(p);
      const part: IcObject = { type: 'conversation_part', part_type: 'comment', body: null, attachments: [], redacted: false, ...rest };
      part.id ??= String(this.nextPartId);
      part.created_at ??= now;
      part.updated_at ??= now;
      part.notified_at ??= now;
      conv.parts.push(part);
      this.notePart(part);
      conv.data.updated_at = now;
      this.syncStatistics(conv);
    }
    for (const id of c.deleteConversations) this.conversations.get(id)!.deletedAt = now;
  }

  private upsert(map: Map<string, Timed>, patch: IcObject, now: number): void {
    const id = String(patch.id);
    const existing = map.get(id);
    if (existing) Object.assign(existing.data, clone(patch), { updated_at: now });
    else map.set(id, { id, data: { created_at: now, ...clone(patch), updated_at: now } });
  }

  /** GET /__emulator/state. */
  snapshot(): unknown {
    const byId = (m: Map<string, Timed>) => [...m.values()].sort((a, b) => a.id.localeCompare(b.id)).map((r) => clone(r.data));
    return {
      conversations: [...this.conversations.values()].map((c) => ({ id: c.id, updated_at: c.data.updated_at, parts: c.parts.length, ...(c.deletedAt !== undefined ? { deleted_at: c.deletedAt } : {}) })),
      contacts: byId(this.contacts),
      admins: byId(this.admins),
      tags: byId(this.tags),
    };
  }
}
