/** Shared fixtures for the Plain emulator tests: a seed with fixed ids, documents and a fetch client. */
import type { PlainEmulator, PlainSeed } from '../../../src/emulators/plain/index.js';

/** A Plain-format id: prefix + "01J" + 22 zeros + one distinguishing Crockford character. */
export const pid = (prefix: string, ch: string): string => `${prefix}_01J${'0'.repeat(22)}${ch}`;

export const ANN = pid('c', '1');
export const BOB = pid('c', '2');
export const AGENT = pid('u', '1');
export const GHOST = pid('u', '2');
export const BOT = pid('mu', '1');
export const LT_BILLING = pid('lt', '1');
export const LT_BUG = pid('lt', '2');
export const LT_OLD = pid('lt', '3');
export const ACME = pid('te', '1');
export const GLOBEX = pid('te', '2');
export const TFS_AREA = pid('tfs', '1');
export const TFS_URGENT = pid('tfs', '2');
export const TFS_SEVERITY = pid('tfs', '3');
export const TFS_POINTS = pid('tfs', '4');
export const TFS_REFUND = pid('tfs', '5');
export const TFS_DUE = pid('tfs', '6');

export const FULL_KEY = 'key-full';

export const PERMISSIONS = [
  'customer:create',
  'customer:edit',
  'customer:read',
  'customerTenantMembership:create',
  'thread:import',
  'thread:read',
  'thread:delete',
  'user:read',
  'labelType:read',
  'labelType:create',
  'tenant:read',
  'tenant:create',
  'attachment:create',
  'thread:edit',
  'thread:assign',
  'thread:unassign',
  'label:create',
  'label:delete',
  'threadField:create',
  'threadField:update',
  'threadFieldSchema:read',
];

export const SEED: PlainSeed = {
  users: [
    { id: AGENT, email: 'sara@acme.com', fullName: 'Sara Agent' },
    { id: GHOST, email: 'gone@acme.com', fullName: 'Gone Agent', isDeleted: true },
  ],
  machineUsers: [{ id: BOT, fullName: 'Importer Bot' }],
  labelTypes: [
    { id: LT_BILLING, name: 'billing' },
    { id: LT_BUG, name: 'bug' },
    { id: LT_OLD, name: 'legacy', archived: true },
  ],
  tenants: [
    { id: ACME, externalId: 'org-acme', name: 'Acme' },
    { id: GLOBEX, externalId: 'org-globex', name: 'Globex' },
  ],
  customers: [
    { id: ANN, email: 'ann@example.com', fullName: 'Ann Example', externalId: 'ext-ann' },
    { id: BOB, email: 'bob@example.com', fullName: 'Bob Example' },
  ],
  attachments: [{ id: pid('att', '1'), fileName: 'screenshot.png' }],
  threadFieldSchemas: [
    { id: TFS_AREA, key: 'product_area', label: 'Product area', type: 'STRING' },
    { id: TFS_URGENT, key: 'is_urgent', label: 'Urgent', type: 'BOOL' },
    { id: TFS_SEVERITY, key: 'severity', label: 'Severity', type: 'ENUM', enumValues: ['low', 'high', 'critical'] },
    { id: TFS_POINTS, key: 'story_points', label: 'Story points', type: 'NUMBER' },
    { id: TFS_REFUND, key: 'refund', label: 'Refund', type: 'CURRENCY' },
    { id: TFS_DUE, key: 'due_date', label: 'Due date', type: 'DATE' },
  ],
  apiKeys: [
    { key: FULL_KEY, permissions: PERMISSIONS },
    ...PERMISSIONS.map((p) => ({ key: `key-without-${p}`, permissions: PERMISSIONS.filter((x) => x !== p) })),
  ],
};

export interface GqlError {
  message: string;
  extensions?: { code?: string };
  path?: (string | number)[];
}
export interface FieldErrorOut {
  field: string;
  message: string;
  type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND';
}
export interface MutationErrorOut {
  message: string;
  type: 'VALIDATION' | 'FORBIDDEN' | 'INTERNAL';
  code: string;
  fields: FieldErrorOut[];
}
export interface GqlResponse<D> {
  status: number;
  headers: Headers;
  body: { data?: D | null; errors?: GqlError[] };
}

export interface GqlOptions {
  /** API key; null sends no Authorization header. Default FULL_KEY. */
  key?: string | null;
  operationName?: string;
  signal?: AbortSignal;
}

export async function gql<D>(emu: PlainEmulator, query: string, variables?: Record<string, unknown>, opts: GqlOptions = {}): Promise<GqlResponse<D>> {
  const key = opts.key === undefined ? FULL_KEY : opts.key;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(emu.graphqlUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables, operationName: opts.operationName }),
    signal: opts.signal,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GqlResponse<D>['body'] };
}

export async function getJson<T>(emu: PlainEmulator, path: string): Promise<T> {
  const res = await fetch(`${emu.url}${path}`);
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
  return (await res.json()) as T;
}

export async function postJson<T>(emu: PlainEmulator, path: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

export const MUTATION_ERROR = 'error { message type code fields { field message type } }';

export const UPSERT_CUSTOMER = `mutation upsertCustomer($input: UpsertCustomerInput!) {
  upsertCustomer(input: $input) { result customer { id externalId fullName email { email isVerified } } ${MUTATION_ERROR} }
}`;

export const ADD_TO_TENANTS = `mutation addCustomerToTenants($input: AddCustomerToTenantsInput!) {
  addCustomerToTenants(input: $input) { customer { id tenantMemberships { edges { node { tenant { id externalId } } } } } ${MUTATION_ERROR} }
}`;

export const IMPORT_THREAD = `mutation importThread($input: ImportThreadInput!) {
  importThread(input: $input) {
    result
    thread { id externalId title description status priority createdAt { iso8601 unixTimestamp } customer { id } }
    ${MUTATION_ERROR}
  }
}`;

export const IMPORT_MESSAGES = `mutation importThreadMessages($input: ImportThreadMessagesInput!) {
  importThreadMessages(input: $input) {
    results { result threadMessage { __typename ... on TimelineEntry { id } ... on Note { id } } ${MUTATION_ERROR} }
    ${MUTATION_ERROR}
  }
}`;

export interface ThreadOut {
  id: string;
  externalId: string;
  title: string;
  description: string | null;
  status: string;
  priority: number;
  createdAt: { iso8601: string; unixTimestamp: string };
  customer: { id: string };
}
export interface ImportThreadData {
  importThread: { result: string | null; thread: ThreadOut | null; error: MutationErrorOut | null };
}
export interface MessageResultOut {
  result: string | null;
  threadMessage: { __typename: 'TimelineEntry' | 'Note'; id: string } | null;
  error: MutationErrorOut | null;
}
export interface ImportMessagesData {
  importThreadMessages: { results: MessageResultOut[]; error: MutationErrorOut | null };
}
export interface CustomerOut {
  id: string;
  externalId: string | null;
  fullName: string;
  email: { email: string; isVerified: boolean };
}
export interface UpsertCustomerData {
  upsertCustomer: { result: string | null; customer: CustomerOut | null; error: MutationErrorOut | null };
}

export function threadInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerIdentifier: { customerId: ANN },
    title: 'Printer on fire',
    externalId: 'zd-1',
    priority: 2,
    status: 'TODO',
    statusDetail: { type: 'IN_PROGRESS' },
    createdAt: '2024-06-15T10:32:00Z',
    ...over,
  };
}

export function message(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    author: { customerId: ANN },
    text: 'Hello, my printer is on fire.',
    createdAt: '2024-06-15T10:33:00Z',
    type: 'INBOUND',
    externalId: 'm-1',
    ...over,
  };
}

export async function importThread(emu: PlainEmulator, over: Record<string, unknown> = {}, key?: string): Promise<ImportThreadData['importThread']> {
  const r = await gql<ImportThreadData>(emu, IMPORT_THREAD, { input: threadInput(over) }, { key });
  if (r.status !== 200 || !r.body.data) throw new Error(`importThread → HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.importThread;
}

export async function importMessages(
  emu: PlainEmulator,
  threadId: string,
  threadMessages: Record<string, unknown>[],
  key?: string,
): Promise<ImportMessagesData['importThreadMessages']> {
  const r = await gql<ImportMessagesData>(emu, IMPORT_MESSAGES, { input: { threadId, threadMessages } }, { key });
  if (r.status !== 200 || !r.body.data) throw new Error(`importThreadMessages → HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.importThreadMessages;
}

export async function upsertCustomer(emu: PlainEmulator, input: Record<string, unknown>, key?: string): Promise<UpsertCustomerData['upsertCustomer']> {
  const r = await gql<UpsertCustomerData>(emu, UPSERT_CUSTOMER, { input }, { key });
  if (r.status !== 200 || !r.body.data) throw new Error(`upsertCustomer → HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.upsertCustomer;
}

/** The one field error of a VALIDATION MutationError. */
export function onlyField(error: MutationErrorOut | null): FieldErrorOut {
  if (!error) throw new Error('expected a MutationError, got null');
  if (error.fields.length !== 1) throw new Error(`expected one field error, got ${JSON.stringify(error.fields)}`);
  return error.fields[0] as FieldErrorOut;
}
