/** The workspace the There There emulator holds: seeded members, channels, tags, tokens; imported contacts and tickets; uploads. */
import type { UlidGenerator } from '../common/ulid.js';
import type { ResolvedSeed } from './seed.js';
import { DEFAULT_TAG_COLOR } from './seed.js';
import type {
  ChannelRecord,
  ContactRecord,
  MemberRecord,
  MessageRecord,
  TagRecord,
  ThereThereStateSnapshot,
  TicketRecord,
  TokenRecord,
  UploadRecord,
} from './types.js';

/** ISO 8601 with offset and whole seconds, as There There writes timestamps: 2024-01-10T09:00:00+00:00. */
export const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

export type Kind = 'member' | 'channel' | 'tag' | 'contact' | 'ticket' | 'message' | 'file';

export class ThereThereStore {
  workspace!: ResolvedSeed['workspace'];
  members: MemberRecord[] = [];
  channels: ChannelRecord[] = [];
  tags: TagRecord[] = [];
  contacts: ContactRecord[] = [];
  tickets: TicketRecord[] = [];
  /** null: any non-empty Bearer token is accepted (admin, single workspace, owned by the first active member). */
  tokens: Map<string, TokenRecord> | null = null;
  uploads = new Map<string, UploadRecord>();
  /** Owner of every token when none are seeded. */
  defaultOwner!: MemberRecord;
  private counters = new Map<Kind, number>();
  private seq = 0;

  constructor(
    private readonly seed: ResolvedSeed,
    readonly ulid: UlidGenerator,
    readonly now: () => Date,
  ) {
    this.reset();
  }

  /** The next integer id of a kind (There There's resources carry an integer id beside the ULID). */
  nextId(kind: Kind): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  reset(): void {
    const s = this.seed;
    this.counters.clear();
    this.seq = 0;
    this.workspace = { ...s.workspace };
    this.channels = s.channels.map((c) => ({ id: this.nextId('channel'), ...c }));
    this.members = s.members.map((m) => ({ id: this.nextId('member'), ulid: m.ulid, email: m.email, name: m.name, active: m.active, channels: m.channels === null ? null : new Set(m.channels) }));
    this.tags = s.tags.map((t) => ({ id: this.nextId('tag'), ...t }));
    this.contacts = s.contacts.map((c) => ({ id: this.nextId('contact'), ...c }));
    this.tickets = [];
    this.uploads.clear();
    const owner = (email: string): MemberRecord => {
      const m = this.memberByEmail(email) ?? this.members.find((x) => x.active) ?? this.members[0];
      if (!m) throw new Error('There There emulator: no member to own the tokens');
      return m;
    };
    this.tokens = s.tokens === null ? null : new Map(s.tokens.map((t) => [t.token, { token: t.token, admin: t.admin, owner: owner(t.member), multiWorkspace: t.multiWorkspace }]));
    this.defaultOwner = owner('');
  }

  token(value: string): TokenRecord | undefined {
    if (this.tokens === null) return { token: value, admin: true, owner: this.defaultOwner, multiWorkspace: false };
    return this.tokens.get(value);
  }

  memberByEmail(email: string): MemberRecord | undefined {
    const e = email.toLowerCase();
    return this.members.find((m) => m.email.toLowerCase() === e);
  }

  /** An active member who may see the channel. */
  activeMemberWithAccess(member: MemberRecord | undefined, channel: ChannelRecord): member is MemberRecord {
    return member !== undefined && member.active && (member.channels === null || member.channels.has(channel.ulid));
  }

  /** Channels a token reaches: admins every channel, others their owner's. */
  canAccess(token: TokenRecord, channel: ChannelRecord): boolean {
    return token.admin || token.owner.channels === null || token.owner.channels.has(channel.ulid);
  }

  channel(ulid: string): ChannelRecord | undefined {
    const u = ulid.toUpperCase();
    return this.channels.find((c) => c.ulid === u);
  }

  ticket(ulid: string): TicketRecord | undefined {
    const u = ulid.toUpperCase();
    return this.tickets.find((t) => t.ulid === u);
  }

  tag(ulid: string): TagRecord | undefined {
    const u = ulid.toUpperCase();
    return this.tags.find((t) => t.ulid === u);
  }

  ticketByExternalId(externalId: string): TicketRecord | undefined {
    return this.tickets.find((t) => t.externalId === externalId);
  }

  /** The tag of that name (case-insensitive), created when missing. */
  tagNamed(name: string): TagRecord {
    const n = name.toLowerCase();
    const found = this.tags.find((t) => t.name.toLowerCase() === n);
    if (found) return found;
    const tag = { id: this.nextId('tag'), ulid: this.ulid.next(), name, color: DEFAULT_TAG_COLOR };
    this.tags.push(tag);
    return tag;
  }

  /** Matched by email (case-insensitive); an existing contact's name is left unchanged. */
  contactFor(email: string, name: string | null): ContactRecord {
    const e = email.toLowerCase();
    const found = this.contacts.find((c) => c.email.toLowerCase() === e);
    if (found) return found;
    const contact = { id: this.nextId('contact'), ulid: this.ulid.next(), email, name };
    this.contacts.push(contact);
    return contact;
  }

  /** An upload token `apiToken` may attach now. */
  usableUpload(token: string, apiToken: string): UploadRecord | undefined {
    const u = this.uploads.get(token);
    if (!u || u.used || u.apiToken !== apiToken || u.expiresAt <= this.now().getTime()) return undefined;
    return u;
  }

  /** Sorts messages into ticket order: by created_at, ties in insertion order. */
  static sortMessages(messages: MessageRecord[]): void {
    messages.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
  }

  snapshot(): ThereThereStateSnapshot {
    return {
      contacts: this.contacts.map((c) => ({ ulid: c.ulid, email: c.email, name: c.name })),
      tickets: this.tickets.map((t) => ({
        ulid: t.ulid,
        external_id: t.externalId,
        subject: t.subject,
        status: t.status,
        channel_ulid: t.channel.ulid,
        assignee_email: t.assignee?.email ?? null,
        tags: t.tags.map((x) => x.name),
        contact_email: t.contact.email,
        created_at: iso(t.createdAt),
        closed_at: t.closedAt === null ? null : iso(t.closedAt),
        messages: t.messages.map((m) => {
          const author = authorOf(t, m);
          return {
            ulid: m.ulid,
            type: m.type,
            body_html: m.bodyHtml,
            created_at: iso(m.createdAt),
            author_email: author.email,
            author_name: author.name,
            attachments: m.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256 })),
          };
        }),
      })),
    };
  }
}

/** Who wrote a message: the contact, a member, or the name and email stored on it. */
export function authorOf(ticket: TicketRecord, m: MessageRecord): { id: number | null; type: 'contact' | 'user'; email: string | null; name: string | null } {
  switch (m.author.kind) {
    case 'contact':
      return { id: ticket.contact.id, type: 'contact', email: ticket.contact.email, name: ticket.contact.name };
    case 'member':
      return { id: m.author.member.id, type: 'user', email: m.author.member.email, name: m.author.member.name };
    case 'stored':
      return { id: null, type: 'user', email: m.author.email, name: m.author.name };
  }
}
