/**
 * From the validated, interpolated document to the typed `Manifest`: defaults, resolved paths,
 * compiled expressions, and the checks the schema cannot express. Tolerant of malformed parts (the
 * schema reported them) so that one pass finds as many problems as it can.
 */
import { PmError } from '../core/errors.js';
import { buildConnections } from './build-live.js';
import { buildSources, buildTables } from './build-sources.js';
import { buildTarget } from './build-target.js';
import { buildThreads } from './build-threads.js';
import { buildState } from './build-state.js';
import { checkLookups, type LookupTargets } from './compile.js';
import { has, int, isObj, problem, str, type BuildContext, type Obj } from './context.js';
import { UNSUPPORTED_THREAD_FIELDS } from '../targets/registry.js';
import { isDurationText, parseDuration } from './duration.js';
import { redactWhenShown } from './redact.js';
import type { AttachmentsDecl, BatchingDecl, Manifest, TargetDecl } from './types.js';

export { DEFAULT_STATE_PATH } from './build-state.js';
export const DEFAULT_BATCHING = {
  messagesPerRequest: 25,
  concurrency: 8,
  requestsPerMinute: 450,
  maxAttempts: 8,
  requestTimeoutMs: 30_000,
} as const satisfies BatchingDecl;
export const DEFAULT_MAX_BYTES = { plain: 6_000_000, therethere: 25_000_000 } as const;

function batching(ctx: BuildContext, v: unknown): BatchingDecl {
  const o: Obj = isObj(v) ? v : {};
  const d = DEFAULT_BATCHING;
  let requestTimeoutMs: number = d.requestTimeoutMs;
  if (has(o, 'requestTimeout')) {
    const ms = parseDuration(o['requestTimeout']);
    if (ms !== undefined) requestTimeoutMs = ms;
    else if (typeof o['requestTimeout'] === 'string' && isDurationText(o['requestTimeout'])) {
      // Well-formed but zero (the schema's pattern accepts it): a timeout must be positive.
      problem(ctx, 'manifest.range', 'batching.requestTimeout must be greater than zero', ['batching', 'requestTimeout']);
    }
  }
  return {
    messagesPerRequest: int(o, 'messagesPerRequest') ?? d.messagesPerRequest,
    concurrency: int(o, 'concurrency') ?? d.concurrency,
    requestsPerMinute: int(o, 'requestsPerMinute') ?? d.requestsPerMinute,
    maxAttempts: int(o, 'maxAttempts') ?? d.maxAttempts,
    requestTimeoutMs,
  };
}

function attachments(v: unknown, target: TargetDecl | undefined): AttachmentsDecl {
  const o: Obj = isObj(v) ? v : {};
  const fetch: Array<{ prefix: string; headers: Record<string, string> }> = [];
  if (Array.isArray(o['fetch'])) {
    for (const entry of o['fetch']) {
      if (!isObj(entry)) continue;
      const prefix = str(entry, 'prefix');
      if (prefix === undefined) continue;
      const headers: Record<string, string> = {};
      if (isObj(entry['headers'])) {
        for (const [k, hv] of Object.entries(entry['headers'])) if (typeof hv === 'string') headers[k] = hv;
      }
      // Header values often carry credentials (Authorization: Basic ${…}).
      fetch.push({ prefix, headers: redactWhenShown(headers, '*') });
    }
  }
  const onSkip = str(o, 'onSkip') === 'fail' ? 'fail' : 'note';
  const maxBytes = int(o, 'maxBytes') ?? DEFAULT_MAX_BYTES[target?.kind ?? 'plain'];
  return { fetch, maxBytes, onSkip };
}

function lookupTargets(sources: unknown, tables: unknown): LookupTargets {
  const s = new Map<string, { key: boolean; groupBy: boolean }>();
  if (isObj(sources)) {
    for (const [name, decl] of Object.entries(sources)) {
      s.set(name, { key: isObj(decl) && has(decl, 'key'), groupBy: isObj(decl) && has(decl, 'groupBy') });
    }
  }
  return { sources: s, tables: new Set(isObj(tables) ? Object.keys(tables) : []) };
}

export interface BuildInput {
  readonly ctx: BuildContext;
  /** Absolute path of the manifest. */
  readonly absFile: string;
  readonly value: unknown;
  readonly sourceHash: string;
}

/** A thread field the target has nothing to carry to is an error, not a value silently dropped. */
function unsupportedFields(ctx: BuildContext, target: TargetDecl, threads: Obj): void {
  for (const [key, why] of Object.entries(UNSUPPORTED_THREAD_FIELDS[target.kind])) {
    if (has(threads, key)) {
      problem(ctx, 'manifest.unsupported', `threads.${key} is not used by the ${target.kind} target: ${why}`, ['threads', key], { at: 'key', hint: `remove threads.${key}` });
    }
  }
}

/** The manifest, or undefined when a problem was pushed to `ctx.problems`. */
export function buildManifest({ ctx, absFile, value, sourceHash }: BuildInput): Manifest | undefined {
  if (!isObj(value)) return undefined;
  const target = buildTarget(ctx, value['target']);
  const connections = buildConnections(ctx, ctx.catalog, value['connections']);
  const connectionNames = isObj(value['connections']) ? Object.keys(value['connections']) : [];
  const sources = buildSources(ctx, value['sources'], connections, connectionNames);
  const tables = buildTables(ctx, value['tables']);
  const sourceNames = isObj(value['sources']) ? Object.keys(value['sources']) : [];
  const threads = buildThreads(ctx, value['threads'], sourceNames);
  if (target && isObj(value['threads'])) unsupportedFields(ctx, target, value['threads']);
  checkLookups(ctx.exprs, lookupTargets(value['sources'], value['tables']), ctx.problems);
  const st = buildState(ctx, value['state']);
  const name = str(value, 'name');
  const b = batching(ctx, value['batching']);
  const a = attachments(value['attachments'], target);
  if (ctx.problems.length > 0) return undefined;
  if (value['version'] !== 1 || name === undefined || !target || !threads || !st) {
    // Unreachable when the schema holds; kept so that a gap never yields a half-built manifest.
    ctx.problems.push(new PmError('manifest.invalid', 'the manifest is incomplete', { location: { file: ctx.file } }));
    return undefined;
  }
  return {
    file: absFile,
    dir: ctx.dir,
    version: 1,
    name,
    target,
    statePath: st.statePath,
    state: st.state,
    sources,
    connections,
    tables,
    threads,
    attachments: a,
    batching: b,
    sourceHash,
  };
}
