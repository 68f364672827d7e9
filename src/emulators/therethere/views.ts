/** API resources as There There's OpenAPI spec shapes them (Ticket, TicketDetail, Message, Channel, User, Tag, Contact). */
import { authorOf, iso, type ThereThereStore } from './store.js';
import type { ChannelRecord, ContactRecord, FileRecord, MemberRecord, MessageRecord, TagRecord, TicketRecord } from './types.js';

export const channelView = (c: ChannelRecord) => ({ id: c.id, ulid: c.ulid, name: c.name, type: c.type, color: c.color, email_address: c.emailAddress });

export const userView = (m: MemberRecord) => ({ id: m.id, ulid: m.ulid, name: m.name, email: m.email, avatar_url: null, timezone: null });

export const tagView = (t: TagRecord) => ({ id: t.id, ulid: t.ulid, name: t.name, color: t.color });

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' };

/** body_text: the HTML without tags, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6])>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, e: string) => ENTITIES[e] ?? '')
    .replace(/[ \t\f\v]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
}

function contactView(store: ThereThereStore, c: ContactRecord) {
  const tickets = store.tickets.filter((t) => t.contact === c);
  const last = tickets.reduce<number | null>((acc, t) => Math.max(acc ?? 0, lastActivity(t)), null);
  return { id: c.id, ulid: c.ulid, name: c.name, email: c.email, avatar_url: null, ticket_count: tickets.length, last_activity_at: last === null ? null : iso(last), notes: null };
}

const lastActivity = (t: TicketRecord): number => t.messages.reduce((acc, m) => Math.max(acc, m.createdAt), t.createdAt);

const fileUrl = (base: string, f: FileRecord): string => `${base}/api/${f.inline ? 'inline-images' : 'attachments'}/${f.ulid}`;

export function messageView(base: string, t: TicketRecord, m: MessageRecord) {
  const a = authorOf(t, m);
  return {
    id: m.id,
    ulid: m.ulid,
    type: m.type,
    body_html: m.bodyHtml,
    body_text: textOf(m.bodyHtml),
    sender: { id: a.id, type: a.type, name: a.name, email: a.email, avatar_url: null },
    attachments: m.files.filter((f) => !f.inline).map((f) => ({ id: f.id, name: f.name, url: fileUrl(base, f), size: f.size, mime_type: f.mimeType })),
    inline_images: m.files
      .filter((f) => f.inline)
      .map((f) => ({ id: f.id, name: f.name, mime_type: f.mimeType, size: f.size, content_id: null, url: fileUrl(base, f), download_url: `${fileUrl(base, f)}?download=1` })),
    is_forward: false,
    send_status: null,
    created_at: iso(m.createdAt),
  };
}

export function ticketView(store: ThereThereStore, t: TicketRecord) {
  const last = t.messages[t.messages.length - 1];
  const preview = last === undefined ? null : textOf(last.bodyHtml).slice(0, 140);
  return {
    id: t.id,
    ulid: t.ulid,
    number: t.number,
    subject: t.subject,
    status: t.status,
    channel: channelView(t.channel),
    assignee: t.assignee === null ? null : userView(t.assignee),
    assigned_team: null,
    contact: contactView(store, t.contact),
    tags: t.tags.map(tagView),
    latest_message_preview: preview,
    summary: null,
    title: null,
    from_address: t.contact.email,
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
    last_activity_at: iso(lastActivity(t)),
  };
}

export function ticketDetailView(store: ThereThereStore, base: string, t: TicketRecord) {
  return { ...ticketView(store, t), messages: t.messages.map((m) => messageView(base, t, m)), activities: [] };
}
