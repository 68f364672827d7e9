/** Shared fixtures for the There There emulator tests: a seed with fixed ULIDs, request helpers, a valid import. */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { startThereThereEmulator, type ThereThereEmulator, type ThereThereEmulatorOptions, type ThereThereSeed } from '../../../src/emulators/therethere/index.js';

/** A ULID: "01J" + 22 zeros + one distinguishing Crockford character. */
export const ulid = (ch: string): string => `01J${'0'.repeat(22)}${ch}`;

export const WORKSPACE_ID = 7;
export const CH_SUPPORT = ulid('1');
export const CH_SALES = ulid('2');
export const M_OWNER = ulid('A');
export const M_SARA = ulid('B');
export const M_GONE = ulid('C');
export const M_SAM = ulid('D');
export const TAG_BILLING = ulid('E');
export const TAG_VIP = ulid('F');

/** Admin token of Olive (owner). */
export const ADMIN = 'admin-token';
/** Admin token of Sara. */
export const ADMIN_SARA = 'admin-sara';
/** Non-admin token of Sara (every channel). */
export const AGENT = 'agent-sara';
/** Non-admin token of Sam, who only sees the Sales channel. */
export const SALES_AGENT = 'agent-sam';
/** Admin token that reaches several workspaces: X-Workspace-Id required. */
export const MULTI = 'multi-token';

export const SEED: ThereThereSeed = {
  workspace: { id: WORKSPACE_ID, name: 'Acme Support', slug: 'acme' },
  channels: [
    { ulid: CH_SUPPORT, name: 'Support', emailAddress: 'support@acme.test' },
    { ulid: CH_SALES, name: 'Sales', type: 'widget' },
  ],
  members: [
    { ulid: M_OWNER, email: 'owner@acme.test', name: 'Olive Owner' },
    { ulid: M_SARA, email: 'sara@acme.test', name: 'Sara Agent' },
    { ulid: M_GONE, email: 'gone@acme.test', name: 'Gone Agent', active: false },
    { ulid: M_SAM, email: 'sam@acme.test', name: 'Sam Sales', channels: ['Sales'] },
  ],
  tags: [{ ulid: TAG_BILLING, name: 'billing' }, { ulid: TAG_VIP, name: 'vip', color: '#ff0000' }],
  tokens: [
    { token: ADMIN, admin: true, member: 'owner@acme.test' },
    { token: ADMIN_SARA, admin: true, member: 'sara@acme.test' },
    { token: AGENT, admin: false, member: 'sara@acme.test' },
    { token: SALES_AGENT, member: 'sam@acme.test' },
    { token: MULTI, admin: true, multiWorkspace: true },
  ],
};

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  /** Default ADMIN; null sends no Authorization header. */
  token?: string | null;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request; a body is sent as JSON unless it is a FormData or a string. */
export async function call<T = any>(emu: ThereThereEmulator, method: string, path: string, opts: CallOptions = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | FormData | undefined;
  if (opts.body instanceof FormData || typeof opts.body === 'string') body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${emu.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T, headers: res.headers };
}

export const HOUR = 3_600_000;
const BASE = Date.now();
/** A timestamp `hoursAgo` hours before the tests started, as There There writes them (whole seconds, +00:00). */
export const ago = (hoursAgo: number): string => new Date(Math.floor((BASE - hoursAgo * HOUR) / 1000) * 1000).toISOString().replace('.000Z', '+00:00');

/** A valid import body; `over` replaces top-level fields (undefined removes one). */
export function importBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  const body: Record<string, unknown> = {
    channel: CH_SUPPORT,
    subject: 'Refund request',
    status: 'closed',
    from_contact: { email: 'john@customer.test', name: 'John Doe' },
    messages: [
      { type: 'inbound', body: '<p>I would like a refund.</p>', created_at: ago(48) },
      { type: 'outbound', body: '<p>Done.</p>', created_at: ago(47), author_email: 'sara@acme.test' },
    ],
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete body[k];
    else body[k] = v;
  }
  return body;
}

export const importTicket = (emu: ThereThereEmulator, over: Record<string, unknown> = {}, token: string = ADMIN) =>
  call(emu, 'POST', '/api/tickets/import', { token, body: importBody(over) });

/** Imports a valid ticket and returns its ULID. */
export async function newTicket(emu: ThereThereEmulator, over: Record<string, unknown> = {}): Promise<string> {
  const r = await importTicket(emu, over);
  expect(r.status).toBe(201);
  return (r.body as { data: { ulid: string } }).data.ulid;
}

/** POST /api/attachments; returns the reply. */
export function uploadRaw(emu: ThereThereEmulator, data: Uint8Array | string, name = 'a.txt', type = 'text/plain', token: string = ADMIN): Promise<Reply> {
  const form = new FormData();
  form.append('file', new Blob([data], { type }), name);
  return call(emu, 'POST', '/api/attachments', { token, body: form });
}

/** Uploads a file and returns its token. */
export async function upload(emu: ThereThereEmulator, data: Uint8Array | string = 'hello', name = 'a.txt', type = 'text/plain', token: string = ADMIN): Promise<string> {
  const r = await uploadRaw(emu, data, name, type, token);
  expect(r.status).toBe(201);
  return (r.body as { data: { token: string } }).data.token;
}

/**
 * A Laravel 422: the field's one message is `message`, and the top-level message is the first error
 * (with "(and N more errors)" when there are several).
 */
export function expect422(r: Reply, field: string, message: string | RegExp): void {
  expect(r.status, JSON.stringify(r.body)).toBe(422);
  const body = r.body as { message: string; errors: Record<string, string[]> };
  expect(Object.keys(body)).toEqual(['message', 'errors']);
  expect(body.errors[field], `errors: ${JSON.stringify(body.errors)}`).toHaveLength(1);
  if (typeof message === 'string') expect(body.errors[field]?.[0]).toBe(message);
  else expect(body.errors[field]?.[0]).toMatch(message);
  const all = Object.values(body.errors).flat();
  const more = all.length - 1;
  expect(body.message).toBe(more === 0 ? all[0] : `${all[0]} (and ${more} more error${more === 1 ? '' : 's'})`);
}

/** Only this field failed. */
export function expectOnly422(r: Reply, field: string, message: string | RegExp): void {
  expect422(r, field, message);
  expect(Object.keys((r.body as { errors: object }).errors)).toEqual([field]);
}

/**
 * One emulator for the test file (started before all, closed after all, reset before each test),
 * returned as a stand-in that forwards to it.
 */
export function useEmulator(opts: ThereThereEmulatorOptions = { seed: SEED }): ThereThereEmulator {
  let current: ThereThereEmulator | undefined;
  beforeAll(async () => {
    current = await startThereThereEmulator(opts);
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => current?.reset());
  return new Proxy({} as ThereThereEmulator, {
    get: (_, key) => {
      if (!current) throw new Error('the emulator is not started yet');
      const v: unknown = Reflect.get(current, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current) : v;
    },
  });
}
