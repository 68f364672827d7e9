/**
 * What a command source's program writes, a line at a time: jsonl (one record a line), Singer messages
 * (RECORD, STATE, SCHEMA, ACTIVATE_VERSION) or Airbyte messages (RECORD, STATE, LOG, TRACE, …). Each line
 * becomes a record of the source's stream, a state checkpoint, or nothing.
 */

export type Protocol = 'jsonl' | 'singer' | 'airbyte';
export const PROTOCOLS: readonly Protocol[] = ['jsonl', 'singer', 'airbyte'];

export type LineAction =
  | { readonly kind: 'record'; readonly record: unknown }
  | { readonly kind: 'state'; readonly state: unknown }
  /** A Singer SCHEMA of the source's stream: its key properties (for the default id). */
  | { readonly kind: 'schema'; readonly keyProperties: readonly string[] }
  /** An Airbyte TRACE of type ERROR: its message (the pull fails with it if the program fails). */
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'skip' };

/** A line that is not what the protocol allows: why (the caller adds the line number). */
export class BadLine extends Error {}

const SKIP: LineAction = { kind: 'skip' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The first line of a JSON.parse error message, short. */
function parseError(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const first = m.split('\n')[0]!;
  return first.length > 120 ? `${first.slice(0, 120)}…` : first;
}

export function parseJsonLine(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new BadLine(`is not JSON: ${parseError(e)}`);
  }
}

const SINGER_IGNORED = new Set(['SCHEMA', 'ACTIVATE_VERSION']);
const AIRBYTE_IGNORED = new Set(['LOG', 'SPEC', 'CATALOG', 'CONNECTION_STATUS', 'CONTROL', 'DESTINATION_CATALOG']);

/** One line's meaning for the source whose records are those of `stream`. */
export function lineAction(protocol: Protocol, stream: string, text: string): LineAction {
  const v = parseJsonLine(text);
  if (protocol === 'jsonl') {
    if (!isObject(v)) throw new BadLine(`is ${Array.isArray(v) ? 'a list' : v === null ? 'null' : `a ${typeof v}`}, not a JSON object (a record)`);
    return { kind: 'record', record: v };
  }
  if (!isObject(v) || typeof v['type'] !== 'string') throw new BadLine(`is not a ${protocol} message (an object with a type)`);
  const type = v['type'];
  return protocol === 'singer' ? singer(v, type, stream) : airbyte(v, type, stream);
}

function singer(m: Record<string, unknown>, type: string, stream: string): LineAction {
  switch (type) {
    case 'RECORD':
      if (typeof m['stream'] !== 'string' || !isObject(m['record'])) throw new BadLine('is a singer RECORD without stream and record');
      return m['stream'] === stream ? { kind: 'record', record: m['record'] } : SKIP;
    case 'STATE':
      if (!('value' in m)) throw new BadLine('is a singer STATE without value');
      return { kind: 'state', state: m['value'] };
    case 'SCHEMA': {
      const keys = m['key_properties'];
      if (m['stream'] === stream && Array.isArray(keys) && keys.every((k) => typeof k === 'string')) return { kind: 'schema', keyProperties: keys as string[] };
      return SKIP;
    }
    default:
      if (SINGER_IGNORED.has(type)) return SKIP;
      throw new BadLine(`is a singer message of type ${JSON.stringify(type).slice(0, 40)}, which plain-migrate does not read`);
  }
}

function airbyte(m: Record<string, unknown>, type: string, stream: string): LineAction {
  switch (type) {
    case 'RECORD': {
      const r = m['record'];
      if (!isObject(r) || typeof r['stream'] !== 'string' || !isObject(r['data'])) throw new BadLine('is an airbyte RECORD without record.stream and record.data');
      return r['stream'] === stream ? { kind: 'record', record: r['data'] } : SKIP;
    }
    case 'STATE':
      if (!isObject(m['state'])) throw new BadLine('is an airbyte STATE without state');
      return { kind: 'state', state: m['state'] };
    case 'TRACE': {
      const t = m['trace'];
      if (isObject(t) && t['type'] === 'ERROR' && isObject(t['error'])) {
        const msg = t['error']['message'];
        return { kind: 'error', message: typeof msg === 'string' && msg !== '' ? msg.slice(0, 300) : 'an error (no message)' };
      }
      return SKIP;
    }
    default:
      if (AIRBYTE_IGNORED.has(type)) return SKIP;
      throw new BadLine(`is an airbyte message of type ${JSON.stringify(type).slice(0, 40)}, which plain-migrate does not read`);
  }
}

/** The descriptor a per-stream Airbyte state is for ("namespace.name"), or undefined for legacy/global states. */
function streamOfState(s: unknown): string | undefined {
  if (!isObject(s)) return undefined;
  const st = s['stream'];
  if (s['type'] !== 'STREAM' && !(s['type'] === undefined && isObject(st))) return undefined;
  const d = isObject(st) ? st['stream_descriptor'] : undefined;
  if (!isObject(d)) return undefined;
  return `${typeof d['namespace'] === 'string' ? d['namespace'] : ''}.${String(d['name'])}`;
}

/**
 * The state kept after a STATE message. Singer: its value, whole. Airbyte: the message's `state` as given;
 * per-stream states (type STREAM) are kept one per stream (the latest of each), as a list, since each
 * message carries one stream's state only.
 */
export function nextState(protocol: Protocol, kept: unknown, state: unknown): unknown {
  if (protocol !== 'airbyte') return state;
  const key = streamOfState(state);
  if (key === undefined) return state;
  const others = Array.isArray(kept) ? kept.filter((s) => streamOfState(s) !== key) : [];
  return [...others, state];
}

/**
 * What the program is given back as its state (the {{state}} file, and the JSON text of {{cursor}}).
 * Singer: the last STATE value (`{}` before any). Airbyte: a list of state messages (per-stream or global;
 * `[]` before any), or a legacy state's `data` as it was.
 */
export function stateForProgram(protocol: Protocol, kept: unknown): unknown {
  if (protocol === 'singer') return kept ?? {};
  if (kept === null || kept === undefined) return [];
  if (Array.isArray(kept)) return kept;
  if (isObject(kept) && (kept['type'] === 'LEGACY' || (kept['type'] === undefined && 'data' in kept))) return kept['data'];
  return [kept];
}
