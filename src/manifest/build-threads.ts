/** `threads:` and `threads.messages:` — every value a compiled expression. */
import { expr, isObj, problem, str, type BuildContext, type Obj } from './context.js';
import { suggestion } from './suggest.js';
import type { CustomerDecl, Expr, MessagesDecl, ThreadsDecl } from './types.js';

type Optional<K extends string> = { [P in K]?: Expr };

function optionalExprs<K extends string>(ctx: BuildContext, base: readonly string[], v: Obj, keys: readonly K[]): Optional<K> {
  const out: Optional<K> = {};
  for (const k of keys) {
    const e = expr(ctx, [...base, k], v[k]);
    if (e) out[k] = e;
  }
  return out;
}

function customer(ctx: BuildContext, v: unknown): CustomerDecl | undefined {
  const at = ['threads', 'customer'];
  if (typeof v === 'string') {
    const e = expr(ctx, at, v);
    return e ? { kind: 'expr', expr: e } : undefined;
  }
  if (!isObj(v)) return undefined;
  return { kind: 'fields', ...optionalExprs(ctx, at, v, ['email', 'fullName', 'externalId'] as const) };
}

function messages(ctx: BuildContext, v: unknown): MessagesDecl | undefined {
  if (!isObj(v)) return undefined;
  const at = ['threads', 'messages'];
  const each = expr(ctx, [...at, 'each'], v['each']);
  const externalId = expr(ctx, [...at, 'externalId'], v['externalId']);
  const text = expr(ctx, [...at, 'text'], v['text']);
  const createdAt = expr(ctx, [...at, 'createdAt'], v['createdAt']);
  const optional = optionalExprs(ctx, at, v, ['where', 'type', 'author', 'attachments'] as const);
  if (!each || !externalId || !text || !createdAt) return undefined;
  return { each, externalId, text, createdAt, ...optional, location: ctx.nodes.location(at) };
}

function fields(ctx: BuildContext, v: unknown): Record<string, Expr> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, Expr> = {};
  for (const [k, value] of Object.entries(v)) {
    const e = expr(ctx, ['threads', 'fields', k], value);
    if (e) out[k] = e;
  }
  return out;
}

/** Builds `threads`; `sourceNames` are the names declared under `sources`. */
export function buildThreads(ctx: BuildContext, v: unknown, sourceNames: readonly string[]): ThreadsDecl | undefined {
  if (!isObj(v)) return undefined;
  const at = ['threads'];
  const source = str(v, 'source');
  if (source !== undefined && source !== '' && !sourceNames.includes(source)) {
    problem(ctx, 'manifest.unknown-source', `threads.source names '${source}', which is not a declared source${suggestion(source, sourceNames, 'declared sources')}`, [...at, 'source']);
  }
  const externalId = expr(ctx, [...at, 'externalId'], v['externalId']);
  const title = expr(ctx, [...at, 'title'], v['title']);
  const createdAt = expr(ctx, [...at, 'createdAt'], v['createdAt']);
  const cust = customer(ctx, v['customer']);
  const optional = optionalExprs(ctx, at, v, [
    'where',
    'description',
    'externalUrl',
    'closedAt',
    'status',
    'statusDetail',
    'priority',
    'labels',
    'assignee',
    'tenant',
  ] as const);
  const flds = v['fields'] === undefined ? undefined : fields(ctx, v['fields']);
  const msgs = v['messages'] === undefined ? undefined : messages(ctx, v['messages']);
  if (source === undefined || !externalId || !title || !createdAt || !cust) return undefined;
  return {
    source,
    externalId,
    title,
    createdAt,
    customer: cust,
    ...optional,
    ...(flds ? { fields: flds } : {}),
    ...(msgs ? { messages: msgs } : {}),
    location: ctx.nodes.location(at),
  };
}
