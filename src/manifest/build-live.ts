/**
 * `connections:` and the sources that pull from them (or from a `command:`). The kinds are known only
 * through the catalog the caller gives loadManifest (src/sources/live/registry.ts): manifest/ names none.
 */
import { expr, has, int, isObj, problem, str, type BuildContext } from './context.js';
import { isLoopbackUrl } from './loopback.js';
import { redactWhenShown } from './redact.js';
import type { ConnectionDecl, Expr, LiveKindCatalog, LiveSourceDecl } from './types.js';

/** Keys of a live source that are JSONata (over a response, a record): compiled here, not interpolated. */
export const LIVE_EXPRESSION_KEYS = ['records', 'next', 'cursor', 'id'] as const;
const COMMON_KEYS = new Set(['connection', 'stream', 'key', 'groupBy', 'command', 'protocol', 'env']);

function isLiteral(ctx: BuildContext, p: readonly string[]): boolean {
  return !(ctx.nodes.get(p)?.interpolated ?? false);
}

/** Strings of a map (auth, headers, env); the schema reports other values. */
function strings(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}

function sinceMs(ctx: BuildContext, at: string[], v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const text = v instanceof Date ? v.toISOString() : String(v);
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) {
    problem(ctx, 'manifest.since', `${at.join('.')} must be a date (2019-01-01) or a time (2019-01-01T00:00:00Z), not ${JSON.stringify(text)}`, at);
    return undefined;
  }
  return ms;
}

function connection(ctx: BuildContext, catalog: LiveKindCatalog | undefined, name: string, v: unknown): ConnectionDecl | undefined {
  if (!isObj(v)) return undefined;
  const at = ['connections', name];
  const kind = str(v, 'kind');
  const baseUrl = str(v, 'baseUrl');
  if (kind === undefined || baseUrl === undefined) return undefined;
  // An unknown kind is the schema's to report (its enum lists the registry's kinds: a test holds them equal).
  const info = catalog?.get(kind);
  let url: URL | undefined;
  try {
    url = new URL(baseUrl);
  } catch {
    problem(ctx, 'manifest.url', `connections.${name}.baseUrl is not a URL`, [...at, 'baseUrl']);
  }
  if (url && url.protocol !== 'https:' && !isLoopbackUrl(baseUrl)) {
    problem(ctx, 'manifest.url', `connections.${name}.baseUrl must be https (http only on a loopback address, an emulator)`, [...at, 'baseUrl'], {
      hint: 'credentials are sent with every request: they must not cross the network in the clear',
    });
  }
  if (url && (url.username !== '' || url.password !== '')) {
    problem(ctx, 'manifest.url-credentials', `connections.${name}.baseUrl carries a user name or password`, [...at, 'baseUrl'], {
      hint: `give the address alone; the credentials go under connections.${name}.auth, read from the environment`,
    });
  }
  const auth = strings(v['auth']);
  const headers = strings(v['headers']);
  const loopback = isLoopbackUrl(baseUrl);
  for (const [group, values] of [['auth', auth], ['headers', headers]] as const) {
    for (const key of Object.keys(values)) {
      // An account's email names who signs in; it is not a secret.
      if (group === 'auth' && key === 'email') continue;
      if (!loopback && isLiteral(ctx, [...at, group, key])) {
        problem(ctx, 'manifest.literal-secret', `connections.${name}.${group}.${key} is written literally; read it from the environment: \${…}`, [...at, group, key], {
          hint: 'secrets come from the environment only; a literal value is accepted only when baseUrl is a loopback address (an emulator)',
        });
      }
    }
  }
  if (info && info.auth.length === 0 && Object.keys(auth).length > 0) {
    problem(ctx, 'manifest.connection-auth', `connections.${name}.auth does not apply to a ${kind} connection: it sends no auth keys`, [...at, 'auth'], {
      at: 'key',
      hint: `send credentials as headers: connections.${name}.headers (e.g. Authorization: "Bearer \${TOKEN}")`,
    });
  }
  if (info && !info.since && has(v, 'since')) {
    problem(ctx, 'manifest.connection-since', `connections.${name}.since does not apply to a ${kind} connection`, [...at, 'since'], {
      at: 'key',
      hint: 'put the bound in the request instead, e.g. query: { updated_since: "2019-01-01" }',
    });
  }
  if (info && info.auth.length > 0) {
    const keys = Object.keys(auth);
    const sets = info.auth;
    if (!sets.some((set) => set.every((k) => keys.includes(k)) && keys.every((k) => set.includes(k)))) {
      problem(ctx, 'manifest.connection-auth', `connections.${name}.auth must hold ${sets.map((s) => s.join(' + ')).join(', or ')} for a ${kind} connection${keys.length ? ` (it has ${keys.join(', ')})` : ''}`, [...at, has(v, 'auth') ? 'auth' : 'kind'], {
        hint: `e.g. auth: { ${sets[0]!.map((k) => `${k}: \${${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}}`).join(', ')} }`,
      });
    }
  }
  const rpm = int(v, 'requestsPerMinute');
  const since = sinceMs(ctx, [...at, 'since'], v['since']);
  redactWhenShown(auth, '*');
  redactWhenShown(headers, '*');
  return {
    name,
    kind,
    baseUrl: baseUrl.replace(/\/+$/, ''),
    auth,
    headers,
    ...(since !== undefined ? { sinceMs: since } : {}),
    ...(rpm !== undefined ? { requestsPerMinute: rpm } : {}),
    location: ctx.nodes.location(at),
  };
}

export function buildConnections(ctx: BuildContext, catalog: LiveKindCatalog | undefined, v: unknown): Record<string, ConnectionDecl> {
  const out: Record<string, ConnectionDecl> = {};
  if (!isObj(v)) return out;
  for (const [name, decl] of Object.entries(v)) {
    const c = connection(ctx, catalog, name, decl);
    if (c) out[name] = c;
  }
  return out;
}

/** A source with `connection:` or `command:`; undefined (and problems) when it cannot be used. */
export function liveSource(
  ctx: BuildContext,
  catalog: LiveKindCatalog | undefined,
  connections: Readonly<Record<string, ConnectionDecl>>,
  connectionNames: readonly string[],
  name: string,
  v: Record<string, unknown>,
): LiveSourceDecl | undefined {
  const at = ['sources', name];
  const connName = str(v, 'connection');
  const isCommand = has(v, 'command');
  let adapter: string | undefined;
  let conn: ConnectionDecl | undefined;
  if (connName !== undefined) {
    conn = connections[connName];
    if (!connectionNames.includes(connName)) {
      problem(ctx, 'manifest.unknown-connection', `sources.${name}.connection names ${JSON.stringify(connName)}, which is not under connections:`, [...at, 'connection'], {
        hint: connectionNames.length ? `use one of: ${connectionNames.join(', ')}` : 'declare it under connections: (kind, baseUrl, auth)',
      });
    }
    adapter = conn?.kind;
  } else if (isCommand) {
    adapter = 'command';
  }
  const streamWritten = str(v, 'stream');
  const exprs: Record<string, Expr> = {};
  for (const k of LIVE_EXPRESSION_KEYS) {
    const e = has(v, k) ? expr(ctx, [...at, k], v[k]) : undefined;
    if (e) exprs[k] = e;
  }
  const key = expr(ctx, [...at, 'key'], v['key']);
  const groupBy = expr(ctx, [...at, 'groupBy'], v['groupBy']);
  const info = adapter !== undefined ? catalog?.get(adapter) : undefined;
  if (adapter === undefined || (catalog && !info)) return undefined;
  if (info) {
    for (const k of Object.keys(v)) {
      if (!COMMON_KEYS.has(k) && !info.sourceKeys.includes(k)) {
        problem(ctx, 'manifest.source-option', `sources.${name}.${k} does not apply to a ${adapter} source`, [...at, k], {
          at: 'key',
          hint: info.sourceKeys.length ? `its own keys are: ${info.sourceKeys.join(', ')}` : 'a source of this kind takes connection, stream, key and groupBy',
        });
      }
    }
    for (const k of info.requiredSourceKeys ?? []) {
      if (!has(v, k)) problem(ctx, 'manifest.source-option', `sources.${name} needs ${k}: for a ${adapter} source`, at, { at: 'key' });
    }
    if (info.streamNames) {
      if (streamWritten === undefined) {
        problem(ctx, 'manifest.stream', `sources.${name} needs stream: one of ${info.streamNames.join(', ')}`, at, { at: 'key' });
        return undefined;
      }
      if (!info.streamNames.includes(streamWritten)) {
        problem(ctx, 'manifest.stream', `sources.${name}.stream ${JSON.stringify(streamWritten)} is not a ${adapter} stream`, [...at, 'stream'], {
          hint: `${adapter} streams: ${info.streamNames.join(', ')}`,
        });
        return undefined;
      }
    }
  }
  // A credential in a query string would be kept with the stream's resume link in the state: headers only.
  const request = v['request'];
  if (isObj(request) && isObj(request['query'])) {
    for (const k of Object.keys(request['query'])) {
      if (ctx.nodes.get([...at, 'request', 'query', k])?.interpolated) {
        problem(ctx, 'manifest.secret-in-query', `sources.${name}.request.query.${k} reads the environment; a query string is no place for a credential`, [...at, 'request', 'query', k], {
          hint: `send it as a header: connections.${connName ?? '<name>'}.headers (e.g. Authorization: "Bearer \${TOKEN}"), which goes to the API's origin only and is never stored`,
        });
      }
    }
  }
  const stream = streamWritten ?? name;
  const env = strings(v['env']);
  redactWhenShown(env, '*');
  const options: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!COMMON_KEYS.has(k) || k === 'command' || k === 'protocol') options[k] = x;
  const decl: LiveSourceDecl = {
    kind: 'live',
    name,
    adapter,
    ...(connName !== undefined ? { connection: connName } : {}),
    stream,
    snapshotStream: connName !== undefined ? `${connName}.${info?.streamNames ? stream : name}` : `command.${name}`,
    options,
    exprs,
    env,
    ...(key ? { key } : {}),
    ...(groupBy ? { groupBy } : {}),
    location: ctx.nodes.location(at),
  };
  for (const p of info?.checkSource?.(decl) ?? []) {
    problem(ctx, 'manifest.source-option', p.message, [...at, ...p.path], p.hint !== undefined ? { hint: p.hint } : {});
  }
  return decl;
}
