/** Public and internal types of the There There emulator. */
import type { FaultRuleOf } from '../common/faults.js';

// ---------------------------------------------------------------- seed (public)

/** Emulator extension: the one workspace the emulator models. */
export interface SeedWorkspace {
  /** The integer id X-Workspace-Id names. Default 1. */
  id?: number;
  ulid?: string;
  name?: string;
  /** Used in upload tokens (upl_<slug>_…). Default: the name, slugified. */
  slug?: string;
}

export interface SeedMember {
  ulid?: string;
  email: string;
  name: string;
  /** Emulator extension: a deactivated member (not listed, never an author or assignee). Default true. */
  active?: boolean;
  /** Emulator extension: channel ULIDs or names the member may access. Absent: every channel. */
  channels?: string[];
}

export type ChannelType = 'email' | 'widget';

export interface SeedChannel {
  ulid?: string;
  name: string;
  type?: ChannelType;
  emailAddress?: string;
  color?: string;
}

/** A tag name, or the tag with its ULID and colour. */
export type SeedTag = string | { ulid?: string; name: string; color?: string };

export interface SeedToken {
  token: string;
  /** An admin token (workspace-settings access): required by POST /api/tickets/import. Default false. */
  admin?: boolean;
  /** Emulator extension: the email of the active member who owns the token. Default: the first active member. */
  member?: string;
  /** Emulator extension: a token that reaches several workspaces, so X-Workspace-Id is required. Default false. */
  multiWorkspace?: boolean;
}

/** Emulator extension: contacts that already exist. */
export interface SeedContact {
  ulid?: string;
  email: string;
  name?: string;
}

export interface ThereThereSeed {
  workspace?: SeedWorkspace;
  members?: SeedMember[];
  channels?: SeedChannel[];
  tags?: SeedTag[];
  tokens?: SeedToken[];
  contacts?: SeedContact[];
}

// ---------------------------------------------------------------- inspection (public)

export type TicketStatus = 'open' | 'waiting' | 'closed' | 'spam';
export const TICKET_STATUSES: readonly TicketStatus[] = ['open', 'waiting', 'closed', 'spam'];
export type MessageType = 'inbound' | 'outbound' | 'note';
export const MESSAGE_TYPES: readonly MessageType[] = ['inbound', 'outbound', 'note'];

export interface ThereThereStateSnapshot {
  contacts: { ulid: string; email: string; name: string | null }[];
  tickets: {
    ulid: string;
    external_id: string | null;
    subject: string;
    status: TicketStatus;
    channel_ulid: string;
    assignee_email: string | null;
    tags: string[];
    contact_email: string;
    created_at: string;
    closed_at: string | null;
    /** In ticket order: by created_at, ties in the order they were stored. */
    messages: {
      ulid: string;
      type: MessageType;
      body_html: string;
      created_at: string;
      author_email: string | null;
      author_name: string | null;
      /** Every file of the message (attachments and inline images), in attachment_ids order. */
      attachments: { name: string; size: number; sha256: string }[];
    }[];
  }[];
}

export interface ThereThereRequestLog {
  /** ISO 8601 time the request arrived. */
  at: string;
  method: string;
  /** Without the query string. */
  path: string;
  /** HTTP status sent; 0 when no response was sent (faults reset, hang, drop-after-commit). */
  status: number;
  /** The JSON body (null when absent or not JSON); uploads: {file: {filename, size, mime_type}}. */
  body: unknown;
}

export type ThereThereFaultAction = `status:${number}` | 'reset' | 'hang' | 'drop-after-commit' | 'rate-limit';
export type ThereThereFaultRule = FaultRuleOf<ThereThereFaultAction>;

// ---------------------------------------------------------------- domain (internal)

export interface MemberRecord {
  id: number;
  ulid: string;
  email: string;
  name: string;
  active: boolean;
  /** Channel ULIDs; null = every channel. */
  channels: Set<string> | null;
}

export interface ChannelRecord {
  id: number;
  ulid: string;
  name: string;
  type: ChannelType;
  emailAddress: string | null;
  color: string;
}

export interface TagRecord {
  id: number;
  ulid: string;
  name: string;
  color: string;
}

export interface ContactRecord {
  id: number;
  ulid: string;
  email: string;
  name: string | null;
}

export interface TokenRecord {
  token: string;
  admin: boolean;
  owner: MemberRecord;
  multiWorkspace: boolean;
}

export interface UploadRecord {
  token: string;
  /** The API token that uploaded it: only that token may attach it. */
  apiToken: string;
  filename: string;
  mimeType: string;
  size: number;
  sha256: string;
  expiresAt: number;
  used: boolean;
}

export interface FileRecord {
  id: number;
  ulid: string;
  name: string;
  mimeType: string;
  size: number;
  sha256: string;
  /** Referenced as cid:TOKEN in the message body. */
  inline: boolean;
}

export type AuthorRecord = { kind: 'contact' } | { kind: 'member'; member: MemberRecord } | { kind: 'stored'; email: string | null; name: string | null };

export interface MessageRecord {
  id: number;
  ulid: string;
  type: MessageType;
  bodyHtml: string;
  createdAt: number;
  author: AuthorRecord;
  externalId: string | null;
  files: FileRecord[];
  /** Insertion sequence, the tie-breaker of ticket order. */
  seq: number;
}

export interface TicketRecord {
  id: number;
  ulid: string;
  number: number;
  externalId: string | null;
  subject: string;
  status: TicketStatus;
  channel: ChannelRecord;
  assignee: MemberRecord | null;
  tags: TagRecord[];
  contact: ContactRecord;
  createdAt: number;
  closedAt: number | null;
  updatedAt: number;
  messages: MessageRecord[];
}
