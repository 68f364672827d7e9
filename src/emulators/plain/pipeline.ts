/**
 * One POST /graphql/v1 request, in order: body → log → auth (401) → rate limit (429) → latency →
 * request shape (400) → parse (400) → faults → schema validation (400) → variables (400) → execute (200).
 * 401 and 405 answers do not count against the rate limit; every answer carries x-ratelimit-* headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, executeRequest, prepare, type GraphQLRequestBody } from './graphql.js';
import { BodyTooLarge, destroyConnection, isJsonContentType, readBody, sendError, sendJson, sleep } from './http.js';
import { RATE_LIMITED_BODY } from './ratelimit.js';
import type { EmulatorContext } from './resolvers.js';
import type { EmulatorRuntime } from './runtime.js';
import { statusOf } from './faults.js';
import type { EmulatorRequestLog } from './types.js';

type Parsed = { ok: true; body: GraphQLRequestBody } | { ok: false; message: string };

function parseRequestBody(raw: string): { parsed: Parsed; log: Pick<EmulatorRequestLog, 'query' | 'variables' | 'operationName'> } {
  let value: unknown;
  try {
    value = JSON.parse(raw) as unknown;
  } catch (e) {
    return { parsed: { ok: false, message: `Invalid JSON body: ${(e as Error).message}` }, log: { query: null, variables: null, operationName: null } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { parsed: { ok: false, message: 'The body must be a JSON object {query, variables, operationName}' }, log: { query: null, variables: null, operationName: null } };
  }
  const v = value as Record<string, unknown>;
  const query = typeof v.query === 'string' ? v.query : null;
  const variables = typeof v.variables === 'object' && v.variables !== null && !Array.isArray(v.variables) ? (v.variables as Record<string, unknown>) : null;
  const operationName = typeof v.operationName === 'string' ? v.operationName : null;
  const log = { query, variables, operationName };
  if (query === null || query.trim() === '') return { parsed: { ok: false, message: 'POST body must contain a non-empty "query" string' }, log };
  if (v.variables !== undefined && v.variables !== null && variables === null) return { parsed: { ok: false, message: '"variables" must be an object' }, log };
  if (v.operationName !== undefined && v.operationName !== null && operationName === null) return { parsed: { ok: false, message: '"operationName" must be a string' }, log };
  return { parsed: { ok: true, body: { query, variables, operationName } }, log };
}

function authenticate(rt: EmulatorRuntime, header: string | undefined): { ok: true; permissions: EmulatorContext['permissions'] } | { ok: false; message: string } {
  if (header === undefined || header.trim() === '') return { ok: false, message: 'Missing API key: send the header "Authorization: Bearer <API key>"' };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m || m[1] === undefined) return { ok: false, message: 'Malformed Authorization header: expected "Bearer <API key>"' };
  const keys = rt.store.apiKeys;
  if (keys === null) return { ok: true, permissions: 'all' };
  const perms = keys.get(m[1]);
  return perms ? { ok: true, permissions: perms } : { ok: false, message: 'Invalid API key' };
}

function faultCode(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status >= 500) return 'INTERNAL_SERVER_ERROR';
  return 'BAD_REQUEST';
}

export async function handleGraphQL(rt: EmulatorRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const entry = rt.log.add({ at: rt.now().toISOString(), operationName: null, query: null, variables: null, status: 0 });
  const answer = (status: number, body: unknown, headers: Record<string, string>): void => {
    entry.status = status;
    sendJson(res, status, body, headers);
  };
  const fail = (status: number, message: string, code: string, headers: Record<string, string>): void => {
    entry.status = status;
    sendError(res, status, message, code, headers);
  };

  if (req.method !== 'POST') {
    fail(405, `Method ${req.method ?? '?'} not allowed: the Plain API accepts POST only`, 'METHOD_NOT_ALLOWED', { ...rt.limiter.peek(), allow: 'POST' });
    return;
  }
  let raw: string;
  try {
    raw = await readBody(req);
  } catch (e) {
    if (e instanceof BodyTooLarge) fail(413, e.message, 'BAD_REQUEST', rt.limiter.peek());
    else destroyConnection(req, res);
    return;
  }
  const { parsed, log } = parseRequestBody(raw);
  Object.assign(entry, log);

  const auth = authenticate(rt, req.headers.authorization);
  if (!auth.ok) {
    fail(401, auth.message, 'UNAUTHENTICATED', rt.limiter.peek());
    return;
  }
  const rate = rt.limiter.take();
  if (!rate.allowed) {
    answer(429, RATE_LIMITED_BODY, rate.headers);
    return;
  }
  const headers = rate.headers;
  if (rt.config.latencyMs > 0) await sleep(rt.config.latencyMs);
  if (rt.closed) {
    destroyConnection(req, res);
    return;
  }

  if (!isJsonContentType(req.headers['content-type'])) {
    fail(400, 'Content-Type must be application/json', 'BAD_REQUEST', headers);
    return;
  }
  if (!parsed.ok) {
    fail(400, parsed.message, 'BAD_REQUEST', headers);
    return;
  }
  const prepared = prepare(parsed.body.query);
  if (prepared.kind === 'parse-failed') {
    answer(400, { errors: prepared.errors }, headers);
    return;
  }

  const fault = rt.faults.decide({ rootFields: prepared.rootFields, operationName: parsed.body.operationName });
  const action = fault === null ? null : fault.action;
  const status = action === null ? undefined : statusOf(action);
  if (action === 'rate-limit' || status === 429) {
    const limited = rt.limiter.forcedRejection(fault?.retryAfterSeconds);
    if (fault?.omitRetryAfter) delete limited['retry-after'];
    answer(429, RATE_LIMITED_BODY, { ...headers, ...limited });
    return;
  }
  if (status !== undefined) {
    fail(status, `Injected fault: HTTP ${status}`, faultCode(status), headers);
    return;
  }
  if (action === 'reset') {
    destroyConnection(req, res);
    return;
  }
  if (action === 'hang') {
    rt.hung.add(res);
    res.on('close', () => rt.hung.delete(res));
    return;
  }

  if (prepared.kind === 'invalid') {
    answer(400, { errors: prepared.errors }, headers);
    return;
  }
  const ctx: EmulatorContext = {
    store: rt.store,
    permissions: auth.permissions,
    nowMs: rt.now().getTime(),
    forceInternal: action === 'internal-error',
    partialInternal: action === 'partial-internal-error',
    baseUrl: rt.baseUrl,
  };
  let result: { status: number; body: unknown };
  try {
    result = executeRequest(prepared.document, parsed.body, ctx);
  } catch (e) {
    result = { status: 500, body: errorBody(`Emulator failure: ${(e as Error).message}`, 'INTERNAL_SERVER_ERROR') };
  }
  if (action === 'drop-after-commit') {
    destroyConnection(req, res);
    return;
  }
  answer(result.status, result.body, headers);
}
