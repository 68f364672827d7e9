/**
 * The canonical model that mapping produces and plan/apply consume. Values that only one target
 * has (a status detail, a priority, a closing time) are optional; each target's mapping rules fill
 * in the ones its target takes, with that target's values, and its adapter sends them.
 */

export type ThreadStatus = 'TODO' | 'SNOOZED' | 'DONE';
export type ThreadStatusDetail = 'NEW_REPLY' | 'IN_PROGRESS' | 'WAITING_FOR_CUSTOMER' | 'DONE_MANUALLY_SET' | 'IGNORED';
export type MessageType = 'INBOUND' | 'OUTBOUND' | 'NOTE';

export const STATUS_DETAILS: Readonly<Record<ThreadStatus, readonly ThreadStatusDetail[]>> = {
  TODO: ['NEW_REPLY', 'IN_PROGRESS'],
  SNOOZED: ['WAITING_FOR_CUSTOMER'],
  DONE: ['DONE_MANUALLY_SET', 'IGNORED'],
};

export const DEFAULT_STATUS_DETAIL: Readonly<Record<ThreadStatus, ThreadStatusDetail>> = {
  TODO: 'IN_PROGRESS',
  SNOOZED: 'WAITING_FOR_CUSTOMER',
  DONE: 'DONE_MANUALLY_SET',
};

export interface Customer {
  /** Plain needs an email to create a customer; it is also the customer's address. */
  readonly email: string;
  readonly fullName: string;
  readonly externalId?: string;
}

export type MessageAuthor =
  /** INBOUND: a customer; `customer` absent means the thread's customer. */
  | { readonly kind: 'customer'; readonly customer?: Customer }
  /** OUTBOUND / NOTE in Plain: a user id (u_…). */
  | { readonly kind: 'user'; readonly userId: string }
  /** OUTBOUND / NOTE in There There: an agent by email, with the name kept for agents who left. */
  | { readonly kind: 'agent'; readonly email: string; readonly name?: string };

/**
 * A file of a message, as the mapping gives it: `url` (http(s)) or `path` (inside the manifest's
 * directory). `size` is a hint; the bytes fetched decide. `contentId` matches `cid:` images.
 */
export interface MessageAttachment {
  readonly url?: string;
  readonly path?: string;
  readonly fileName: string;
  readonly contentType?: string;
  readonly size?: number;
  readonly inline?: boolean;
  readonly contentId?: string;
}

/** A tenant a thread belongs to: upserted by externalId, its customer joins it. */
export interface Tenant {
  readonly externalId: string;
  readonly name: string;
}

/** A thread field value; its type must fit the workspace's thread field schema for the key. */
export type ThreadFieldValue = string | number | boolean;
/** Plain's ThreadFieldSchemaType. */
export type ThreadFieldType = 'STRING' | 'BOOL' | 'ENUM' | 'NUMBER' | 'CURRENCY' | 'DATE';

export interface Message {
  readonly externalId: string;
  readonly type: MessageType;
  readonly text: string;
  /** ISO 8601 UTC */
  readonly createdAt: string;
  readonly author: MessageAuthor;
  /** Files to upload and reference (attachmentIds), in order. */
  readonly attachments?: readonly MessageAttachment[];
}

/** Plain: a user or machine user id. There There: a member's email. */
export type Assignee = { readonly userId: string } | { readonly machineUserId: string } | { readonly email: string };

export interface Thread {
  readonly externalId: string;
  readonly title: string;
  readonly description?: string;
  readonly externalUrl?: string;
  /** ISO 8601 UTC */
  readonly createdAt: string;
  /** The target's status value: Plain's TODO | SNOOZED | DONE, There There's open | waiting | closed | spam. */
  readonly status: string;
  /** Plain only: the status detail. */
  readonly statusDetail?: string;
  /** There There only: when a closed ticket was closed (ISO 8601 UTC). */
  readonly closedAt?: string;
  /** Plain only: 0 (urgent) to 3 (low). */
  readonly priority?: number;
  /** The target's labels: Plain label type ids (lt_…), There There tag names. */
  readonly labelTypeIds: readonly string[];
  readonly assignee?: Assignee;
  readonly customer: Customer;
  readonly tenant?: Tenant;
  /** Thread fields by key (null values left out). */
  readonly fields?: Readonly<Record<string, ThreadFieldValue>>;
  /** The schema type of each field in `fields` (the mutation names it). */
  readonly fieldTypes?: Readonly<Record<string, ThreadFieldType>>;
  /** Label type names with no label type yet, created before the import (createMissingLabelTypes). */
  readonly pendingLabelTypes?: readonly string[];
  /** Oldest first; equal times keep source order. */
  readonly messages: readonly Message[];
}

/** Addresses name resources in plans, state and errors: thread["zd-1"], message["zd-1/c-9"], customer["a@b.c"]. */
export function threadAddress(externalId: string): string {
  return `thread[${JSON.stringify(externalId)}]`;
}
export function messageAddress(threadExternalId: string, messageExternalId: string): string {
  return `message[${JSON.stringify(`${threadExternalId}/${messageExternalId}`)}]`;
}
export function customerAddress(email: string): string {
  return `customer[${JSON.stringify(email.toLowerCase())}]`;
}
export function tenantAddress(externalId: string): string {
  return `tenant[${JSON.stringify(externalId)}]`;
}
/** A customer's membership of a tenant (addCustomerToTenants), recorded once per pair. */
export function membershipAddress(tenantExternalId: string, email: string): string {
  return `tenant_member[${JSON.stringify(`${tenantExternalId}/${email.toLowerCase()}`)}]`;
}
export function labelTypeAddress(name: string): string {
  return `label_type[${JSON.stringify(name)}]`;
}
/** The n-th (0-based) attachment of a message. */
export function attachmentAddress(threadExternalId: string, messageExternalId: string, index: number): string {
  return `attachment[${JSON.stringify(`${threadExternalId}/${messageExternalId}/${index}`)}]`;
}

/** A customer's identity: emails are unique per workspace in Plain and compared case-insensitively. */
export function customerKey(c: Customer): string {
  return c.email.toLowerCase();
}

/**
 * Turn an address pattern with `*` wildcards into a matcher. `thread["zd-1*"]`, `message[*]`, `*`.
 */
export function addressMatcher(pattern: string): (address: string) => boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return (a) => re.test(a);
}
