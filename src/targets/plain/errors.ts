/**
 * Error classification for Plain: what is retried (429, 5xx, timeouts, connection resets,
 * MutationError INTERNAL) and what is recorded on the address and never retried
 * (VALIDATION, FORBIDDEN, 401, GraphQL validation errors).
 */
import type { ClientError } from 'graphql-request';
import type { RecordedError } from '../../state/types.js';
import { TargetError, type RateLimitInfo } from '../types.js';

export interface PlainMutationError {
  message: string;
  type: string;
  code: string;
  fields: Array<{ field: string; message: string; type: string }>;
}

export function fromMutationError(e: PlainMutationError): TargetError {
  const recorded: RecordedError = { code: e.code, message: e.message, type: e.type, fields: e.fields ?? [] };
  return new TargetError(recorded, e.type === 'INTERNAL');
}

export function recordedFromMutationError(e: PlainMutationError): RecordedError {
  return { code: e.code, message: e.message, type: e.type, fields: e.fields ?? [] };
}

export function parseRateLimitHeaders(h: Headers | undefined): RateLimitInfo {
  if (!h) return {};
  const num = (v: string | null): number | undefined => {
    if (v === null || v.trim() === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const resetRaw = h.get('x-ratelimit-reset');
  let resetAt: number | undefined;
  if (resetRaw) {
    const asNum = Number(resetRaw);
    // ISO 8601 per Plain; tolerate unix seconds too.
    resetAt = Number.isFinite(asNum) ? (asNum < 1e11 ? asNum * 1000 : asNum) : Date.parse(resetRaw);
    if (!Number.isFinite(resetAt)) resetAt = undefined;
  }
  return { limit: num(h.get('x-ratelimit-limit')), remaining: num(h.get('x-ratelimit-remaining')), resetAt };
}

function retryAfterMs(h: Headers | undefined, now: number): number | undefined {
  const ra = h?.get('retry-after');
  if (ra) {
    const s = Number(ra);
    if (Number.isFinite(s) && s >= 0) return s * 1000;
    const d = Date.parse(ra);
    if (Number.isFinite(d)) return Math.max(0, d - now);
  }
  const { resetAt } = parseRateLimitHeaders(h);
  return resetAt !== undefined ? Math.max(0, resetAt - now) : undefined;
}

interface GraphQLErrorLike {
  message?: string;
  extensions?: { code?: string };
}

function firstError(errors: unknown): GraphQLErrorLike | undefined {
  return Array.isArray(errors) && errors.length > 0 ? (errors[0] as GraphQLErrorLike) : undefined;
}

/** Classify GraphQL `errors[]` that came back with HTTP 2xx. */
export function fromGraphQLErrors(errors: unknown): TargetError {
  const e = firstError(errors);
  const code = e?.extensions?.code ?? 'GRAPHQL_ERROR';
  const retryable = code === 'INTERNAL_SERVER_ERROR';
  return new TargetError({ code, message: e?.message ?? 'GraphQL error', type: 'GRAPHQL' }, retryable);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

type GraphqlRequest = typeof import('graphql-request');
let library: Promise<GraphqlRequest> | undefined;
let clientErrorClass: typeof ClientError | undefined;

/**
 * graphql-request (and graphql under it), loaded by the first request to Plain rather than with every
 * command: about 0.09 s of a start, spent now only by commands that talk to Plain.
 */
export function graphqlRequest(): Promise<GraphqlRequest> {
  library ??= import('graphql-request').then((lib) => {
    clientErrorClass = lib.ClientError;
    return lib;
  });
  return library;
}

/** Classify anything a request threw: ClientError (non-2xx), abort, or a transport failure. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export function classifyThrown(err: unknown, opts: { timedOut: boolean; cancelled: boolean; endpoint?: string }): TargetError {
  if (err instanceof TargetError) return err;
  if (opts.cancelled) {
    return new TargetError({ code: 'cancelled', message: 'the request was cancelled', type: 'TRANSPORT' }, false);
  }
  if (opts.timedOut) {
    return new TargetError({ code: 'timeout', message: 'no answer within requestTimeout', type: 'TRANSPORT' }, true);
  }
  // A ClientError comes only from a request, so graphql-request is loaded by then.
  if (clientErrorClass && err instanceof clientErrorClass) {
    const status = err.response.status;
    const headers = err.response.headers as Headers | undefined;
    const e = firstError(err.response.errors);
    const code = e?.extensions?.code ?? `http_${status}`;
    const message = e?.message ?? `HTTP ${status}`;
    if (status === 429) {
      return new TargetError({ code: 'RATE_LIMITED', message, type: 'RATE_LIMIT' }, true, retryAfterMs(headers, Date.now()));
    }
    if (status === 401) {
      return new TargetError(
        { code: 'UNAUTHENTICATED', message: `${message} (HTTP 401): check the API key in the environment variable the manifest names`, type: 'AUTH' },
        false,
        undefined,
        true,
      );
    }
    if (status >= 500 || status === 408) {
      return new TargetError({ code, message, type: 'SERVER' }, true);
    }
    return new TargetError({ code, message: `${message} (HTTP ${status})`, type: status === 403 ? 'FORBIDDEN' : 'GRAPHQL' }, false);
  }
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  if (cause?.code && TLS_CODES.test(cause.code)) {
    // A certificate that cannot be verified will not verify on the next try: stop the run.
    return new TargetError(
      { code: 'tls', message: `the TLS certificate of the endpoint could not be verified (${cause.code}); nothing was sent`, type: 'TRANSPORT' },
      false,
      undefined,
      true,
    );
  }
  if (cause?.code && UNREACHABLE.has(cause.code)) {
    const where = opts.endpoint ?? 'the endpoint';
    let host = '';
    try {
      host = opts.endpoint ? new URL(opts.endpoint).hostname : '';
    } catch {
      host = '';
    }
    const message =
      cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN'
        ? `cannot resolve the host ${host || 'of the endpoint'} of ${where} (${cause.code}); check target.plain.endpoint`
        : `cannot connect to ${where} (${cause.code}); check target.plain.endpoint and that the server is up`;
    return new TargetError({ code: cause.code === 'ENOTFOUND' || cause.code === 'EAI_AGAIN' ? 'dns' : 'connect', message, type: 'TRANSPORT' }, true, undefined, false, true);
  }
  return new TargetError({ code: 'transport', message: `connection failed: ${detail}`, type: 'TRANSPORT' }, true);
}
