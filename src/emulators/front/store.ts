/**
 * The account the Front emulator serves, and the account-change hook (POST /__emulator/account):
 * conversations, their messages and comments, contacts, teammates, tags, inboxes, events and attachments.
 * Times are epoch seconds with 3 decimals, as Front sends them (§5 "Timestamps"). Every change emits the
 * event Front would (§5 Endpoints, `/events`), with an emitted_at strictly after the last one.
 */
import { isAbsolute, resolve } from 'node:path';
import type { FrObject, FrontAccountChange, FrontSeed } from './types.js';

const clone = <T>(v: T): T => structuredClone(v);
export const FALLBACK_TS = Date.UTC(2020, 0, 1) / 1000;
export class AccountChangeError extends Error {}

export interface AttachmentRecord {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  localPath: string | undefined;
}

export interface FrEvent {
  id: string;
  type: string;
  emitted_at: number;
  conversation_id: string;
  /** conversations_merged: the ids merged away (target._meta.type deleted_conversation_ids). */
  deleted_ids?: string[];
}

const isObject = (v: unknown): v is FrObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const ts = (v: unknown, fb: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fb);

export class FrontStore {
  conversations = new Map<string, FrObject>();
  /** Per conversation id, without conversation_id (kept as Front serves them). */
  messages = new Map<string, FrObject[]>();
  comments = new Map<string, FrObject[]>();
  contacts = new Map<string, FrObject>();
  teammates = new Map<string, FrObject>();
  tags = new Map<string, FrObject>();
  inboxes = new Map<string, FrObject>();
  events: FrEvent[] = [];
  /** A conversation merged away → the one it went into (301). */
  merged = new Map<string, string>();
  attachments = new Map<string, AttachmentRecord>();
  private seq = 0;

  constructor(
    private readonly seed: FrontSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    for (const m of [this.conversations, this.messages, this.comments, this.contacts, this.teammates, this.tags, this.inboxes, this.merged, this.attachments]) m.clear();
    this.events = [];
    this.seq = 0;
    for (const c of this.seed.conversations ?? []) this.conversations.set(String(c.id), clone(c));
    for (const m of this.seed.messages ?? []) this.putChild(this.messages, clone(m));
    for (const c of this.seed.comments ?? []) this.putChild(this.comments, clone(c));
    for (const [list, map] of [
      [this.seed.contacts, this.contacts],
      [this.seed.teammates, this.teammates],
      [this.seed.tags, this.tags],
      [this.seed.inboxes, this.inboxes],
    ] as const) {
      for (const r of list ?? []) map.set(String(r.id), clone(r));
    }
    for (const e of this.seed.events ?? []) this.events.push({ id: String(e.id), type: String(e.type), emitted_at: Number(e.emitted_at), conversation_id: String(e.conversation_id) });
    this.events.sort((a, b) => a.emitted_at - b.emitted_at);
  }

  private putChild(map: Map<string, FrObject[]>, data: FrObject): void {
    const cid = String(data.conversation_id);
    delete data.conversation_id;
    for (const a of Array.isArray(data.attachments) ? (data.attachments as FrObject[]) : []) {
      const local = typeof a.local_path === 'string' ? (isAbsolute(a.local_path) ? a.local_path : resolve(a.local_path)) : undefined;
      this.attachments.set(String(a.id), {
        id: String(a.id),
        filename: String(a.filename ?? a.id),
        contentType: typeof a.content_type === 'string' ? a.content_type : 'application/octet-stream',
        size: typeof a.size === 'number' ? a.size : 0,
        localPath: local,
      });
    }
    const list = map.get(cid) ?? [];
    list.push(data);
    map.set(cid, list);
  }

  /** Epoch seconds with 3 decimals (§5). */
  nowTs(): number {
    return Math.round(this.now()) / 1000;
  }

  private emit(type: string, conversationId: string, deleted?: string[]): void {
    const last = this.events.at(-1)?.emitted_at ?? 0;
    const at = Math.max(this.nowTs(), Math.round(last * 1000 + 1) / 1000);
    this.seq++;
    this.events.push({ id: `evt_emu${this.seq}`, type, emitted_at: at, conversation_id: conversationId, ...(deleted ? { deleted_ids: deleted } : {}) });
  }

  conversationUpdated(c: FrObject): number {
    return ts(c.updated_at, ts(c.created_at, FALLBACK_TS));
  }

  // ------------------------------------------------------------ the account-change hook

  /** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
  change(body: unknown): void {
    const KEYS = ['conversations', 'messages', 'comments', 'contacts', 'trashConversations', 'mergeConversations'];
    if (!isObject(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
    for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
    const list = (key: string): FrObject[] => {
      const v = body[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every(isObject)) throw new AccountChangeError(`"${key}" must be a list of objects`);
      return v;
    };
    const ids = (key: string): string[] => {
      const v = body[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new AccountChangeError(`"${key}" must be a list of conversation ids`);
      return v as string[];
    };
    const c: Required<FrontAccountChange> = {
      conversations: list('conversations'),
      messages: list('messages'),
      comments: list('comments'),
      contacts: list('contacts'),
      trashConversations: ids('trashConversations'),
      mergeConversations: list('mergeConversations') as Array<{ from: string; into: string }>,
    };
    c.conversations.forEach((x, i) => {
      if (typeof x.id !== 'string' || !x.id.startsWith('cnv_')) throw new AccountChangeError(`conversations[${i}].id must be a cnv_ id`);
    });
    c.contacts.forEach((x, i) => {
      if (typeof x.id !== 'string' || !x.id.startsWith('crd_')) throw new AccountChangeError(`contacts[${i}].id must be a crd_ id`);
    });
    const known = new Set([...this.conversations.keys(), ...c.conversations.map((x) => x.id as string)]);
    for (const [key, l] of [['messages', c.messages], ['comments', c.comments]] as const) {
      l.forEach((x, i) => {
        if (!known.has(String(x.conversation_id))) throw new AccountChangeError(`${key}[${i}].conversation_id ${JSON.stringify(x.conversation_id)} is not a conversation`);
      });
    }
    for (const id of c.trashConversations) if (!known.has(id)) throw new AccountChangeError(`trashConversations: ${id} is not a conversation`);
    c.mergeConversations.forEach((m, i) => {
      if (!known.has(m.from) || !known.has(m.into) || m.from === m.into) throw new AccountChangeError(`mergeConversations[${i}] needs two different conversations`);
    });

    const now = this.nowTs();
    for (const p of c.conversations) {
      const id = p.id as string;
      const prev = this.conversations.get(id);
      const next: FrObject = { ...(prev ?? { created_at: now, tags: [], links: [], custom_fields: {}, is_private: false, assignee: null, status: 'unassigned' }), ...clone(p), updated_at: now };
      this.conversations.set(id, next);
      this.emit(next.status === 'archived' && prev?.status !== 'archived' ? 'archive' : 'assign', id);
    }
    for (const m of c.messages) {
      const cid = String(m.conversation_id);
      this.seq++;
      this.putChild(this.messages, { id: `msg_emu${this.seq}`, type: 'email', is_inbound: true, created_at: now, draft_mode: null, author: null, recipients: [], attachments: [], ...clone(m) });
      this.touch(cid, now);
      this.emit(m.is_inbound === false ? 'outbound' : 'inbound', cid);
    }
    for (const m of c.comments) {
      const cid = String(m.conversation_id);
      this.seq++;
      this.putChild(this.comments, { id: `com_emu${this.seq}`, posted_at: now, attachments: [], is_pinned: false, ...clone(m) });
      this.touch(cid, now);
      this.emit('comment', cid);
    }
    for (const p of c.contacts) {
      const id = p.id as string;
      this.contacts.set(id, { ...(this.contacts.get(id) ?? { created_at: now }), ...clone(p), updated_at: now });
    }
    for (const id of c.trashConversations) {
      const conv = this.conversations.get(id)!;
      this.conversations.set(id, { ...conv, status: 'deleted', updated_at: now });
      this.emit('trash', id);
    }
    for (const { from, into } of c.mergeConversations) {
      // The messages and comments move to `into`; `from` is gone from listings and answers 301 (§5 messages).
      for (const map of [this.messages, this.comments]) {
        map.set(into, [...(map.get(into) ?? []), ...(map.get(from) ?? [])]);
        map.delete(from);
      }
      this.conversations.delete(from);
      this.merged.set(from, into);
      this.touch(into, now);
      this.emit('conversations_merged', into, [from]);
    }
  }

  private touch(id: string, now: number): void {
    const conv = this.conversations.get(id);
    if (conv) this.conversations.set(id, { ...conv, updated_at: now });
  }

  snapshot(): unknown {
    return {
      conversations: [...this.conversations.values()],
      messages: Object.fromEntries(this.messages),
      comments: Object.fromEntries(this.comments),
      contacts: [...this.contacts.values()],
      teammates: [...this.teammates.values()],
      tags: [...this.tags.values()],
      inboxes: [...this.inboxes.values()],
      events: this.events,
      merged: Object.fromEntries(this.merged),
    };
  }
}
