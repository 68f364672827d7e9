/**
 * The inspection and control endpoints every emulator has under /__emulator/ (no auth, loopback only):
 *   GET state · GET requests · POST reset · GET|POST faults · GET|POST config · POST account (when it has one)
 * The emulator supplies its state, its fault parser, its configuration keys and its error shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ParsedFaults } from './faults.js';
import { readBody, sendJson } from './http.js';

export interface AdminControl {
  state(): unknown;
  requests(): unknown;
  /** Back to the seed; the emulator decides what else (requests, faults, rate windows). */
  reset(): void;
  faults: { list(): unknown; replace(rules: never[], seed?: number): void };
  parseFaults(body: unknown): ParsedFaults<string>;
  /** Integer settings ≥ 0 that POST /__emulator/config may change. */
  config: { keys: readonly string[]; get(): Record<string, number>; set(key: string, value: number): void };
  /** Sends the emulator's error body. */
  fail(res: ServerResponse, status: number, message: string, code: string): void;
  /** POST /__emulator/account: a change to the account (a JSON body; empty: `{}`). */
  account?: {
    change(body: unknown): void;
    /** The error `change` throws for a bad change; it answers 400 with its message. */
    invalid: abstract new (...args: never[]) => Error;
    /** The error codes (for `fail`) of a method other than POST and of a bad change. */
    codes: { method: string; invalid: string };
  };
}

const ADMIN_PATHS = ['/__emulator/state', '/__emulator/requests', '/__emulator/reset', '/__emulator/faults', '/__emulator/config'];

async function jsonBody(ctl: AdminControl, req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const raw = await readBody(req);
  if (raw.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    ctl.fail(res, 400, `Invalid JSON body: ${(e as Error).message}`, 'BAD_REQUEST');
    return { ok: false };
  }
}

async function postConfig(ctl: AdminControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await jsonBody(ctl, req, res);
  if (!body.ok) return;
  const v = body.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ctl.fail(res, 400, 'body must be an object', 'BAD_REQUEST');
  const b = v as Record<string, unknown>;
  const keys = ctl.config.keys;
  for (const k of Object.keys(b)) {
    if (!keys.includes(k)) return ctl.fail(res, 400, `unknown key "${k}" (allowed: ${keys.join(', ')})`, 'BAD_REQUEST');
    const n = b[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return ctl.fail(res, 400, `"${k}" must be an integer ≥ 0`, 'BAD_REQUEST');
  }
  for (const k of keys) {
    const n = b[k];
    if (typeof n === 'number') ctl.config.set(k, n);
  }
  sendJson(res, 200, ctl.config.get());
}

async function postFaults(ctl: AdminControl, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await jsonBody(ctl, req, res);
  if (!body.ok) return;
  const parsed = ctl.parseFaults(body.value);
  if (!parsed.ok) return ctl.fail(res, 400, parsed.message, 'BAD_REQUEST');
  ctl.faults.replace(parsed.rules as never[], parsed.seed);
  sendJson(res, 200, { rules: ctl.faults.list() });
}

async function postAccount(ctl: AdminControl, account: NonNullable<AdminControl['account']>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return ctl.fail(res, 405, 'use POST /__emulator/account', account.codes.method);
  const raw = await readBody(req);
  try {
    account.change(raw.trim() === '' ? {} : (JSON.parse(raw) as unknown));
  } catch (e) {
    if (!(e instanceof account.invalid) && !(e instanceof SyntaxError)) throw e;
    return ctl.fail(res, 400, e.message, account.codes.invalid);
  }
  sendJson(res, 200, { ok: true });
}

/** Returns false when the path is not one of the shared inspection endpoints. */
export async function handleAdminRoutes(ctl: AdminControl, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (path === '/__emulator/account' && ctl.account) {
    await postAccount(ctl, ctl.account, req, res);
    return true;
  }
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /__emulator/state':
      sendJson(res, 200, ctl.state());
      return true;
    case 'GET /__emulator/requests':
      sendJson(res, 200, ctl.requests());
      return true;
    case 'POST /__emulator/reset':
      await readBody(req);
      ctl.reset();
      sendJson(res, 200, { ok: true });
      return true;
    case 'GET /__emulator/faults':
      sendJson(res, 200, { rules: ctl.faults.list() });
      return true;
    case 'POST /__emulator/faults':
      await postFaults(ctl, req, res);
      return true;
    case 'GET /__emulator/config':
      sendJson(res, 200, ctl.config.get());
      return true;
    case 'POST /__emulator/config':
      await postConfig(ctl, req, res);
      return true;
    default:
      if (ADMIN_PATHS.includes(path)) {
        ctl.fail(res, 405, `Method ${req.method ?? '?'} not allowed on ${path}`, 'METHOD_NOT_ALLOWED');
        return true;
      }
      return false;
  }
}
