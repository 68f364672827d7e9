/**
 * Inspection and control endpoints under /__emulator/ (no auth, loopback only):
 *   GET  state · GET threads/<id> · GET requests · POST reset · GET|POST faults · GET|POST config
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFaultBody } from './faults.js';
import { readBody, sendError, sendJson } from './http.js';
import type { EmulatorRuntime } from './runtime.js';

async function jsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const raw = await readBody(req);
  if (raw.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch (e) {
    sendError(res, 400, `Invalid JSON body: ${(e as Error).message}`, 'BAD_REQUEST');
    return { ok: false };
  }
}

function configOf(rt: EmulatorRuntime): { rateLimitPerMinute: number; latencyMs: number } {
  return { rateLimitPerMinute: rt.limiter.limitPerMinute, latencyMs: rt.config.latencyMs };
}

async function postConfig(rt: EmulatorRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await jsonBody(req, res);
  if (!body.ok) return;
  const v = body.value;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return sendError(res, 400, 'body must be an object', 'BAD_REQUEST');
  const b = v as Record<string, unknown>;
  for (const k of Object.keys(b)) {
    if (k !== 'rateLimitPerMinute' && k !== 'latencyMs') return sendError(res, 400, `unknown key "${k}" (allowed: rateLimitPerMinute, latencyMs)`, 'BAD_REQUEST');
    const n = b[k];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return sendError(res, 400, `"${k}" must be an integer ≥ 0`, 'BAD_REQUEST');
  }
  if (typeof b.rateLimitPerMinute === 'number') rt.limiter.limitPerMinute = b.rateLimitPerMinute;
  if (typeof b.latencyMs === 'number') rt.config.latencyMs = b.latencyMs;
  sendJson(res, 200, configOf(rt));
}

async function postFaults(rt: EmulatorRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await jsonBody(req, res);
  if (!body.ok) return;
  const parsed = parseFaultBody(body.value);
  if (!parsed.ok) return sendError(res, 400, parsed.message, 'BAD_REQUEST');
  rt.faults.replace(parsed.rules, parsed.seed);
  sendJson(res, 200, { rules: rt.faults.list() });
}

const THREAD_PATH = '/__emulator/threads/';

/** GET /__emulator/threads/<id>: that thread as in GET /__emulator/state, or 404. */
function getThread(rt: EmulatorRuntime, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (req.method !== 'GET') return sendError(res, 405, `Method ${req.method ?? '?'} not allowed on ${THREAD_PATH}<id>`, 'METHOD_NOT_ALLOWED');
  const thread = rt.store.threadSnapshot(id);
  if (!thread) return sendError(res, 404, `No thread with id "${id}"`, 'NOT_FOUND');
  sendJson(res, 200, thread);
}

/** Returns false when the path is not an inspection endpoint. */
export async function handleAdmin(rt: EmulatorRuntime, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (path.startsWith(THREAD_PATH) && path.length > THREAD_PATH.length) {
    getThread(rt, req, res, decodeURIComponent(path.slice(THREAD_PATH.length)));
    return true;
  }
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /__emulator/state':
      sendJson(res, 200, rt.store.snapshot());
      return true;
    case 'GET /__emulator/requests':
      sendJson(res, 200, rt.log.list());
      return true;
    case 'POST /__emulator/reset':
      await readBody(req);
      rt.reset();
      sendJson(res, 200, { ok: true });
      return true;
    case 'GET /__emulator/faults':
      sendJson(res, 200, { rules: rt.faults.list() });
      return true;
    case 'POST /__emulator/faults':
      await postFaults(rt, req, res);
      return true;
    case 'GET /__emulator/config':
      sendJson(res, 200, configOf(rt));
      return true;
    case 'POST /__emulator/config':
      await postConfig(rt, req, res);
      return true;
    default:
      if (['/__emulator/state', '/__emulator/requests', '/__emulator/reset', '/__emulator/faults', '/__emulator/config'].includes(path)) {
        sendError(res, 405, `Method ${req.method ?? '?'} not allowed on ${path}`, 'METHOD_NOT_ALLOWED');
        return true;
      }
      return false;
  }
}
