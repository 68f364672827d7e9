/**
 * Inspection and control endpoints under /__emulator/ (no auth, loopback only):
 *   GET state · GET threads/<id> · GET requests · POST reset · GET|POST faults · GET|POST config
 * All but threads/<id> are the shared ones (../common/admin.ts) with Plain's error shape.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdminRoutes, type AdminControl } from '../common/admin.js';
import { parseFaultBody } from './faults.js';
import { sendError, sendJson } from './http.js';
import type { EmulatorRuntime } from './runtime.js';

const CONFIG_KEYS = ['rateLimitPerMinute', 'latencyMs'] as const;

function control(rt: EmulatorRuntime): AdminControl {
  return {
    state: () => rt.store.snapshot(),
    requests: () => rt.log.list(),
    reset: () => rt.reset(),
    faults: rt.faults,
    parseFaults: parseFaultBody,
    config: {
      keys: CONFIG_KEYS,
      get: () => ({ rateLimitPerMinute: rt.limiter.limitPerMinute, latencyMs: rt.config.latencyMs }),
      set: (key, value) => {
        if (key === 'rateLimitPerMinute') rt.limiter.limitPerMinute = value;
        else rt.config.latencyMs = value;
      },
    },
    fail: (res, status, message, code) => sendError(res, status, message, code),
  };
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
  return handleAdminRoutes(control(rt), path, req, res);
}
