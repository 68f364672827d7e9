/**
 * The fast path (src/manifest/fast-path.ts) against jsonata 2.2.2 itself: for every expression of the example
 * manifests, the init templates, the bench manifest and hand-written edge cases, over the examples' records
 * and generated edge records, with real and adversarial bindings, the fast path (when it does not BAIL) gives
 * the same value, calls the bound functions the same way, and throws what jsonata rejects with.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsonata from 'jsonata';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BAIL, compileFast, FastPathLimit, type FastEval } from '../../src/manifest/fast-path.js';
import { describeJsonataError } from '../../src/mapping/evaluate.js';
import { makeBindings, UnmappedCounter, type Bindings, type SourceIndexes } from '../../src/mapping/bindings.js';
import type { Manifest, TableDecl } from '../../src/manifest/types.js';
import type { SourceIndex } from '../../src/sources/types.js';
import { INIT_API_SOURCES, INIT_SOURCES, INIT_TARGETS, starterManifest } from '../../src/init/templates.js';
// @ts-ignore -- plain JS module without types
import { manifestText, mulberry32 } from '../../bench/generate.mjs';

const ROOT = join(import.meta.dirname, '../..');
/** What compile.ts gives jsonata (load.ts defaults). */
const OPTIONS = { timeout: 1000, stack: 500 };

// ---------------------------------------------------------------------------------------------------------
// Helpers

function plain(v: unknown): unknown {
  if (Array.isArray(v) && (v as { sequence?: boolean }).sequence) return Array.from(v);
  return v;
}

/** Deep equality with Object.is at the leaves (so -0 ≠ 0, NaN = NaN) that also compares arrays' own properties (sequence flags). */
/** The bound functions of each test environment, by binding name: two environments' `$table` count as the same value. */
const FUNCTION_NAMES = new WeakMap<object, string>();

function same(a: unknown, b: unknown, seen = new Map<object, object>()): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'function' && typeof b === 'function') return FUNCTION_NAMES.has(a) && FUNCTION_NAMES.get(a) === FUNCTION_NAMES.get(b);
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (seen.get(a) === b) return true;
  seen.set(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.getOwnPropertyNames(a).sort();
  const kb = Object.getOwnPropertyNames(b).sort();
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
  return ka.every((k) => same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], seen));
}

/** A stable text of any value (for hashing arguments): distinguishes undefined, -0, NaN, Infinity, sequence flags. */
function stable(v: unknown): string {
  if (v === undefined) return 'u';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'function') return 'fn';
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]${(v as { sequence?: boolean }).sequence ? 's' : ''}`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function seq(items: unknown[], extra: Record<string, unknown> = {}): unknown[] {
  const s = [...items] as unknown[] & Record<string, unknown>;
  s.sequence = true;
  Object.assign(s, extra);
  return s;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function runJsonata(e: jsonata.Expression, input: unknown, bindings: Bindings): Promise<Outcome> {
  try {
    return { ok: true, value: plain(await e.evaluate(input, bindings)) };
  } catch (error) {
    return { ok: false, error };
  }
}

function runFast(fast: FastEval, input: unknown, bindings: Bindings): Outcome | typeof BAIL {
  try {
    const v = fast(input, bindings);
    return v === BAIL ? BAIL : { ok: true, value: v };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The parts of a thrown value that matter: what describeJsonataError says, and JSONata's decorations. */
function errorShape(e: unknown): unknown {
  if (typeof e !== 'object' || e === null) return { primitive: e };
  const o = e as Record<string, unknown>;
  return {
    describe: describeJsonataError(e),
    ctor: (e as object).constructor?.name,
    code: o.code,
    position: o.position,
    token: o.token,
    message: o.message,
    value: o.value,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Corpus of expressions

function stringsUnder(v: unknown, out: Set<string>): void {
  if (typeof v === 'string') out.add(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) stringsUnder(x, out);
}

function manifests(): { name: string; doc: Record<string, unknown> }[] {
  const out: { name: string; doc: Record<string, unknown> }[] = [];
  for (const d of readdirSync(join(ROOT, 'examples'))) {
    const f = join(ROOT, 'examples', d, 'plain-migrate.yaml');
    if (existsSync(f)) out.push({ name: `examples/${d}`, doc: parse(readFileSync(f, 'utf8')) });
  }
  for (const s of INIT_SOURCES) {
    for (const t of INIT_TARGETS) {
      out.push({ name: `init ${s} ${t}`, doc: parse(starterManifest(s, t)) });
      if ((INIT_API_SOURCES as readonly string[]).includes(s)) out.push({ name: `init ${s} ${t} api`, doc: parse(starterManifest(s, t, { api: true })) });
    }
  }
  out.push({ name: 'bench', doc: parse(manifestText()) });
  return out;
}

const MANIFESTS = manifests();
const BENCH_EXPRESSIONS = (() => {
  const s = new Set<string>();
  stringsUnder(parse(manifestText()).threads, s);
  return [...s];
})();

const HAND_WRITTEN = [
  // literals
  "'lit'", '""', '42', '-1.5', '0', '1e21', '9007199254740993', 'true', 'false', 'null',
  // variables and paths
  '$', '$$', '$.a', '$$.a.b', '$.outerWrapper', '$thread', '$thread.requester_id', '$thread.a.b', '$thread.a.b.c',
  'a', 'b', 'a.b', 'a.b.c', 'a.b.c.d', '`a b`', '`a b`.c', 'a.`a b`', "a.'b'", '"a".b', '(a)', '((a.b))', 'sequence', 'outerWrapper',
  // &
  'a & b', "a & 'x'", "'x' & a.b", 'a & 1', 'a & 1.5', 'a & true', 'a & null', '1e21 & a', "1.7976931348623157e308 & ''", 'a.b & a.c & a',
  "'<' & $ & '>'", "$thread & ''",
  // = and !=
  'a = b', 'a != b', "a = 'x'", 'a = 1', 'a = 0', 'a != null', 'a = null', 'a = true', 'a.b = $thread.a', 'a = a', 'a != a', '$ = $', 'a.b = a.c',
  "a = ''", "'1' = 1", '0 = false', 'null = false',
  // and / or
  'a and b', 'a or b', 'a and b.c or c', "a and $table('t', b)", "a or $record('s', b).c", "$table('t', a) or b", "$table('t', a) and $table('t', b)",
  // conditions and blocks
  'a ? b', 'a ? b : c', "a ? 'y' : 'n'", 'a = b ? c : d', '(a ? b : c) & d', 'a ? (b ? c : d) : (c ? d)', "a.b ? a.b : 'none'", '$thread ? 1 : 2',
  // mirrored built-ins
  '$string(a)', '$string(a.b)', '$string($)', '$string($thread)', '$string(1.5)', '$string(0.1)', '$string(123456.7890123456789)', '$string(-0)',
  '$not(a)', '$exists(a)', '$exists(a.b) ? 1 : 2', '$not(a = 1) and $not(b = true)', '$not($exists(a))', '$string($not(a))', '$string($string(a))',
  '$string($table)', '$exists($record)', '$not($string)',
  // bound functions
  "$table('t', a)", "$table('t', a.b)", "$table('t2', a)", "$table('missing', a)", "$table('t', $record('s', a).b)", "$table('t', $records('s', a).b)",
  "$record('s', a)", "$record('s', a).b", "$record('s', a).b.c", "$record('s', a).email", "$records('s', a)", "$records('s', a).b", "$records('s', a).b.c",
  "$record('nosuch', a)", "$records('nosuch', a)", '$htmlToMarkdown(a)', '$htmlToText(a)', '$toISO(a)', '$toISO(a.b)', "$string($record('s', a).b)",
  "$string($table('t', a))", "'x' & $table('t', a)", "$table('t', a) & $table('t', b)", "$table('t', a) = 'x'", "$table('t', a) != $record('s', b)",
  "$table('t', a) ? 1 : 2", "$not($table('t', a))", "$exists($record('s', a).b)", "$table('t', $table('t', a))", "$record('s', $record('s', a).b).c",
  "$record('s', a).b = $thread.a ? $table('t', b) : null", "$records('s', a) = $records('s', b)", "$record('s', a) = $record('s', a)",
  "$table('t', $record('s', a).b) & $string($records('s', b).c)", "$table('t', $record('s', a).b, c)", "$table('t')", '$toISO()', '$record($, a)',
  "$table('t', $thread)", "$table('t', $)", "$table('t', $table)", "$record('s', a).b ? $record('s', b).c : $records('s', c)",
  // names that are not bound (or are jsonata's)
  '$nope', '$nope.a', '$nope(a)', '$now', '$string',
];

/** Shapes outside the subset: compileFast must give undefined. */
const UNSUPPORTED = [
  'a[0]', 'a[b = 1]', 'a.$string()', "a.$table('t', b)", '$lowercase(a)', '$string()', '$string(a, true)', '$not(a, b)', '$exists()',
  '[a]', "{'a': 1}", 'a + 1', 'a < 1', 'a > 1', '(a; b)', '($x := 1)', "a in ['x']", '-a', 'a.*', '**.a', 'a.%', '$f(?)', 'a^(b)', 'a{b: c}',
  'a#$i', 'a@$x', 'function($x){$x}', '/re/', 'a ~> $f()', 'a[]', 'a.b[0].c', "$record('s', a)[0]", '$now()', '$millis()', "$join(['a'], ',')",
  '$sum(a)', '[1..3]', 'a.(b)', '$.$', 'a.$', 'a.$thread', '$thread.$',
];

function corpusExpressions(): string[] {
  const s = new Set<string>();
  for (const m of MANIFESTS) stringsUnder(m.doc.threads, s);
  for (const e of HAND_WRITTEN) s.add(e);
  return [...s];
}

// ---------------------------------------------------------------------------------------------------------
// Corpus of records

function exampleRecords(): unknown[] {
  const out: unknown[] = [];
  for (const d of readdirSync(join(ROOT, 'examples'))) {
    for (const sub of ['export', 'seed']) {
      const dir = join(ROOT, 'examples', d, sub);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.jsonl')) continue;
        for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line.trim() !== '') out.push(JSON.parse(line));
      }
    }
  }
  return out;
}

const SCALARS: unknown[] = [
  null, 0, -0, 1, -7, 1.5, 0.1, 0.30000000000000004, 123456.78901234568, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 9007199254740993, 2 ** 53 + 2,
  '', '0', 'false', 'true', 'null', 'x', '1', 'ünïcødé ✓ 😀', '<p>Hi &amp; <b>bye</b></p>', '2023-01-04T15:30:33Z', '1700000000', 'agent@yourcompany.com',
  'billing', 'open', 'deleted', 'end-user', true, false,
  // keys of the edge tables t/t2 whose rows are odd values
  'inf', 'nan', 'negz', 'arr', 'one', 'obj', 'big',
];

/** Every name a path step uses in the corpus (so generated records hit them). */
function fieldNames(exprs: readonly string[]): string[] {
  const names = new Set<string>(['a', 'b', 'c', 'd', 'a b', 'email', 'requester_id']);
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (typeof n !== 'object' || n === null) return;
    const o = n as Record<string, unknown>;
    if (o.type === 'name' && typeof o.value === 'string') names.add(o.value);
    Object.values(o).forEach(visit);
  };
  for (const e of exprs) {
    try {
      visit(jsonata(e).ast());
    } catch {
      // not an expression
    }
  }
  return [...names];
}

function generatedRecords(fields: readonly string[], count: number, seed: number): unknown[] {
  const rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const value = (depth: number): unknown => {
    const r = rng();
    if (depth <= 0 || r < 0.45) return pick(SCALARS);
    if (r < 0.6) return [];
    if (r < 0.72) return [value(depth - 1)];
    if (r < 0.82) return [value(depth - 1), value(depth - 1)];
    if (r < 0.86) return [[value(depth - 1)], [value(depth - 1), value(depth - 1)]];
    const o: Record<string, unknown> = {};
    const n = Math.floor(rng() * 4);
    for (let i = 0; i < n; i++) o[pick(fields)] = value(depth - 1);
    return o;
  };
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const rec: Record<string, unknown> = {};
    for (const f of fields) if (rng() < 0.5) rec[f] = value(3);
    out.push(rec);
  }
  return out;
}

function edgeRecords(fields: readonly string[]): unknown[] {
  const all = (v: unknown): Record<string, unknown> => Object.fromEntries(fields.map((f) => [f, v]));
  const out: unknown[] = [{}];
  for (const s of SCALARS) out.push(all(s));
  for (const v of [[], ['x'], ['x', 'y'], [1], [[1, 2], [3]], [{ b: 1 }, { b: [2, 3] }, { c: 1 }], [[]], [null], [{}], { b: 'x' }, { b: ['x'] }, { b: { c: 'y' } }, {}]) {
    out.push(all(v));
  }
  out.push(
    { a: [{ b: [{ c: 'x' }, { c: ['y', 'z'] }] }, { b: { c: [[1], [2]] } }], b: [[{ c: 1 }]], c: [[]], d: [[[0]]] },
    { a: { b: { c: { d: ['deep'] } } }, 'a b': { c: -0 }, b: [{ c: [] }, { c: [null] }] },
    { outerWrapper: true, 0: 'zero', a: 1 },
    { outerWrapper: 0, a: 'w' },
    { sequence: true, a: [1], b: { sequence: true } },
    { a: { _jsonata_function: true, b: 1 } },
    { a: { _jsonata_lambda: true, b: 'l' }, b: [{ _jsonata_function: true }] },
    { _jsonata_function: true, a: 1 },
    { a: { then: 1, b: 2 } },
    { a: { keepSingleton: true }, b: { tupleStream: true, c: 1 } },
    'a string', 7, 0, true, null, undefined, [], [{ a: 1 }], [[1]],
  );
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Bindings

type LogEntry = [string, unknown, unknown[]];

/** Table rows from every manifest (later ones win) plus edge tables t (no _default) and t2 (with one). */
function tables(): Record<string, TableDecl> {
  const out: Record<string, TableDecl> = {};
  const add = (name: string, decl: Record<string, unknown>): void => {
    const rows = new Map<string, unknown>();
    for (const [k, v] of Object.entries(decl)) if (k !== '_default') rows.set(k, v);
    const hasDefault = Object.hasOwn(decl, '_default');
    out[name] = { name, rows, hasDefault, defaultValue: hasDefault ? decl._default : undefined } as TableDecl;
  };
  for (const m of MANIFESTS) {
    const t = m.doc.tables;
    if (t && typeof t === 'object') for (const [name, decl] of Object.entries(t)) if (decl && typeof decl === 'object') add(name, decl as Record<string, unknown>);
  }
  const edge = {
    x: 'X', 1: 1, true: true, null: null, '': 'empty', arr: ['p', 'q'], one: ['only'], obj: { status: 'TODO', statusDetail: 'NEW' },
    inf: Infinity, nan: NaN, negz: -0, big: 1e21, 'ünïcødé ✓ 😀': 'u', '[]': 'emptylist', open: { status: 'TODO' }, 'agent@yourcompany.com': 'u_1',
  };
  add('t', edge);
  add('t2', { ...edge, _default: 'D' });
  return out;
}

function fakeIndexes(pool: readonly unknown[]): SourceIndexes {
  const index = (source: string): SourceIndex =>
    ({
      get(k: string) {
        const h = hash(`${source}\u0000${k}`);
        const i = h % (pool.length + 3);
        return i < pool.length ? pool[i] : undefined;
      },
      getAll(k: string) {
        const h = hash(`${source}\u0001${k}`);
        return [pool[h % pool.length], pool[(h >>> 5) % pool.length], pool[(h >>> 10) % pool.length]].slice(0, h % 4);
      },
    }) as unknown as SourceIndex;
  const map = { get: (name: string) => (name === 'nosuch' ? undefined : index(name)) } as unknown as ReadonlyMap<string, SourceIndex>;
  return { key: map, groupBy: map };
}

interface Env {
  bindings: Bindings;
  log: LogEntry[];
  /** What the side effects left (unmapped counts, tracked look-ups). */
  effects(): unknown;
}

function logged(b: Bindings, log: LogEntry[]): Bindings {
  const out: Bindings = {};
  for (const [k, v] of Object.entries(b)) {
    if (typeof v !== 'function') {
      out[k] = v;
      continue;
    }
    const wrapper = function (this: unknown, ...args: unknown[]): unknown {
      log.push([k, this, args.slice()]);
      return (v as (...a: unknown[]) => unknown).apply(this, args);
    };
    FUNCTION_NAMES.set(wrapper, k);
    out[k] = wrapper;
  }
  return out;
}

function realEnv(manifestTables: Record<string, TableDecl>, pool: readonly unknown[], thread: unknown, withThread: boolean): Env {
  const log: LogEntry[] = [];
  const unmapped = new UnmappedCounter();
  const tracked: string[] = [];
  const base = makeBindings({ tables: manifestTables } as unknown as Manifest, fakeIndexes(pool), unmapped, {
    track: (source, kind, key) => void tracked.push(`${source}/${kind}/${key}`),
  });
  const bindings = logged(base, log);
  if (withThread) bindings.thread = thread;
  return { bindings, log, effects: () => ({ unmapped: [...unmapped.counts.entries()], tracked }) };
}

/** Values the adversarial functions return: every one mirrored exactly (no thenables, no function markers). */
const EDGE_RESULTS: (() => unknown)[] = [
  () => undefined, () => null, () => 0, () => -0, () => 1, () => 1.5, () => 1e21, () => Infinity, () => -Infinity, () => NaN, () => '', () => 'x',
  () => '0', () => true, () => false, () => [], () => ['a'], () => ['a', 'b'], () => [[1], [2, 3]], () => ({}), () => ({ b: 'x' }), () => ({ b: ['x', 'y'] }),
  () => ({ b: { c: 1 } }), () => ({ b: [{ c: 1 }, { c: [2, 3] }] }), () => seq(['p', 'q']), () => seq([]), () => seq(['only']),
  () => seq(['k'], { keepSingleton: true }), () => ({ b: Infinity }), () => [Infinity], () => [0, ''], () => ({ email: 'agent@yourcompany.com' }),
  () => [{ b: 'x' }, { b: 'y' }], () => ({ b: [] }), () => ({ b: [[]] }), () => Object.assign(['c'], { cons: true }), () => [-0],
];

/** Thrown values, each made afresh (jsonata decorates what it catches). */
const EDGE_THROWS: (() => unknown)[] = [
  () => new Error('plain failure'),
  () => new TypeError('type failure'),
  () => ({ code: 'D3001', value: 1 }),
  () => ({ code: 'T2001', token: '+', position: 3 }),
  () => ({ code: 'D3137', message: 'custom message' }),
  () => ({ code: 'D1001', value: Infinity }),
  () => ({ code: 'ZZZZ', message: 'unknown code' }),
  () => Object.assign(new Error('with node code'), { code: 'ERR_SOMETHING' }),
  () => Object.assign(new Error('with a jsonata code'), { code: 'S0101' }),
  () => ({ code: 'constructor' }),
  () => ({ code: 'toString', message: 'm' }),
  () => Object.freeze(new Error('frozen')),
  () => Object.freeze({ code: 'D3001' }),
  () => 'a thrown string',
  () => 42,
  () => undefined,
  () => null,
  () => ({ message: 'an object without code' }),
  () => ({ position: 99, token: 'tok', message: 'pre-decorated' }),
];

function edgeEnv(thread: unknown, throwRate: number): Env {
  const log: LogEntry[] = [];
  const fn = (name: string) => {
    const f = function (this: unknown, ...args: unknown[]): unknown {
      log.push([name, this, args.slice()]);
      const h = hash(`${name}(${args.map(stable).join(',')})`);
      if (h % 1000 < throwRate * 1000) throw EDGE_THROWS[(h >>> 10) % EDGE_THROWS.length]!();
      return EDGE_RESULTS[(h >>> 3) % EDGE_RESULTS.length]!();
    };
    FUNCTION_NAMES.set(f, name);
    return f;
  };
  const bindings: Bindings = { thread };
  for (const n of ['record', 'records', 'table', 'htmlToText', 'htmlToMarkdown', 'toISO', 'nope']) bindings[n] = fn(n);
  return { bindings, log, effects: () => null };
}

// ---------------------------------------------------------------------------------------------------------

interface Stats {
  pairs: number;
  fast: number;
  bail: number;
  errors: number;
  /** describeJsonataError of what the fast path threw. */
  texts: Set<string>;
}

const newStats = (): Stats => ({ pairs: 0, fast: 0, bail: 0, errors: 0, texts: new Set() });
const show = (s: Stats): string => JSON.stringify({ ...s, texts: s.texts.size });

async function compare(
  text: string,
  compiled: jsonata.Expression,
  fast: FastEval,
  input: unknown,
  makeEnv: () => Env,
  stats: Stats,
  failures: string[],
): Promise<void> {
  const je = makeEnv();
  const fe = makeEnv();
  const j = await runJsonata(compiled, input, je.bindings);
  const f = runFast(fast, input, fe.bindings);
  stats.pairs++;
  const where = `${text} @ ${stable(input).slice(0, 200)}`;
  if (f === BAIL) {
    stats.bail++;
    // The invariant: nothing was called before a BAIL.
    if (fe.log.length !== 0) failures.push(`BAIL after a call: ${where}: ${fe.log.map((l) => l[0]).join(',')}`);
    return;
  }
  stats.fast++;
  if (!f.ok) {
    stats.errors++;
    stats.texts.add(describeJsonataError(f.error));
  }
  if (j.ok !== f.ok) {
    failures.push(`outcome differs: ${where}: jsonata ${j.ok ? stable(j.value) : describeJsonataError(j.error)} / fast ${f.ok ? stable(f.value) : describeJsonataError(f.error)}`);
    return;
  }
  if (j.ok && f.ok && !same(j.value, f.value)) failures.push(`value differs: ${where}: jsonata ${stable(j.value)} / fast ${stable(f.value)}`);
  if (!j.ok && !f.ok && !same(errorShape(j.error), errorShape(f.error))) {
    failures.push(`error differs: ${where}: jsonata ${JSON.stringify(errorShape(j.error))} / fast ${JSON.stringify(errorShape(f.error))}`);
  }
  if (!same(je.log, fe.log)) failures.push(`calls differ: ${where}: jsonata ${stable(je.log)} / fast ${stable(fe.log)}`);
  if (!same(je.effects(), fe.effects())) failures.push(`effects differ: ${where}`);
}

describe('fast path', () => {
  const expressions = corpusExpressions();
  const compiledAll = expressions.map((text) => {
    let compiled: jsonata.Expression | undefined;
    try {
      compiled = jsonata(text, OPTIONS);
    } catch {
      compiled = undefined;
    }
    return { text, compiled, fast: compiled ? compileFast(compiled.ast(), { maxDepth: OPTIONS.stack }) : undefined };
  });
  const supported = compiledAll.filter((c): c is { text: string; compiled: jsonata.Expression; fast: FastEval } => !!c.compiled && !!c.fast);
  const fields = fieldNames(expressions);
  const examples = exampleRecords();
  const records = [...examples, ...edgeRecords(fields), ...generatedRecords(fields, 300, 7)];
  const pool = [...examples, ...generatedRecords(fields, 200, 11), ...SCALARS.map((s) => ({ b: s, c: s, email: s }))];
  const manifestTables = tables();

  it('supports every expression of the bench manifest, and the typical shapes of the others', () => {
    const unsupportedBench = BENCH_EXPRESSIONS.filter((t) => !compileFast(jsonata(t).ast()));
    expect(unsupportedBench).toEqual([]);
    const manifestStrings = new Set<string>();
    for (const m of MANIFESTS) stringsUnder(m.doc.threads, manifestStrings);
    const n = [...manifestStrings].filter((t) => supported.some((s) => s.text === t)).length;
    console.log(`compileFast supports ${n} of the ${manifestStrings.size} distinct strings under threads: in ${MANIFESTS.length} manifests`);
    expect(n).toBeGreaterThan(manifestStrings.size * 0.5);
  });

  it('refuses the shapes outside the subset', () => {
    for (const t of UNSUPPORTED) expect(compileFast(jsonata(t).ast()), t).toBeUndefined();
    expect(compileFast(null)).toBeUndefined();
    expect(compileFast({ type: 'path', steps: [{ type: 'name', value: 'a', position: 1, stages: [] }] })).toBeUndefined();
  });

  it('honours the stack guard (maxDepth)', async () => {
    const text = "$table('t', $record('s', a).b)";
    const ast = jsonata(text).ast();
    expect(compileFast(ast, { maxDepth: 500 })).toBeDefined();
    // jsonata fails (D1011) below the nesting compileFast computes, and succeeds at it
    let depth = 1;
    while (!compileFast(ast, { maxDepth: depth })) depth++;
    const env = realEnv(manifestTables, pool, {}, true);
    await expect(jsonata(text, { stack: depth - 1 }).evaluate({ a: 1 }, env.bindings)).rejects.toMatchObject({ code: 'D1011' });
    await jsonata(text, { stack: depth }).evaluate({ a: 1 }, env.bindings).catch((e: { code?: string }) => expect(e.code).not.toBe('D1011'));
  });

  it('gives what jsonata gives, with the real bindings', async () => {
    const stats = newStats();
    const failures: string[] = [];
    for (const { text, compiled, fast } of supported) {
      for (let i = 0; i < records.length; i++) {
        const thread = i % 3 === 0 ? records[(i * 7) % records.length] : pool[i % pool.length];
        await compare(text, compiled, fast, records[i], () => realEnv(manifestTables, pool, thread, i % 11 !== 5), stats, failures);
      }
    }
    console.log(`real bindings: ${supported.length} expressions, ${show(stats)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    const texts = [...stats.texts].join('\n');
    expect(texts).toContain("$table('t'): no row for");
    expect(texts).toContain("$record: source 'nosuch' has no key");
    expect(texts).toContain('$toISO cannot read');
    expect(texts).toContain('(JSONata D3001 at position'); // Infinity from a table row, after the call
    expect(stats.fast).toBeGreaterThan(stats.pairs * 0.8);
    expect(stats.errors).toBeGreaterThan(100);
  }, 600_000);

  it('gives what jsonata gives, with adversarial bindings (odd results, every kind of throw)', async () => {
    const stats = newStats();
    const failures: string[] = [];
    const some = records.filter((_, i) => i % 2 === 0);
    for (const { text, compiled, fast } of supported) {
      for (let i = 0; i < some.length; i++) {
        const thread = EDGE_RESULTS[i % EDGE_RESULTS.length]!();
        await compare(text, compiled, fast, some[i], () => edgeEnv(thread, i % 4 === 0 ? 0.5 : 0.1), stats, failures);
      }
    }
    console.log(`adversarial bindings: ${show(stats)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    // every kind of throw went through the fast path, and came out as jsonata's did
    const texts = [...stats.texts];
    for (const t of [
      'plain failure', 'type failure', 'Attempting to invoke string function on Infinity or NaN (JSONata D3001 at position', 'custom message (JSONata D3137',
      'Number out of range: null (JSONata D1001', 'unknown code (JSONata ZZZZ', 'with node code', 'String literal must be terminated by a matching quote (JSONata S0101',
      'template.replace is not a function', 'Cannot add property position, object is not extensible', "Cannot create property 'position' on string 'a thrown string'",
      "Cannot create property 'position' on number '42'", "Cannot read properties of undefined (reading 'token')", "Cannot read properties of null (reading 'token')",
      'an object without code', 'pre-decorated', 'The left side of the "+" operator must evaluate to a number (JSONata T2001 at position 3)',
    ]) {
      expect(texts.some((x) => x.includes(t)), `${t} in ${texts.join(' | ')}`).toBe(true);
    }
    expect(stats.fast).toBeGreaterThan(stats.pairs * 0.7);
    expect(stats.errors).toBeGreaterThan(1000);
  }, 600_000);

  it('bails (calling nothing) when a variable or function is not bound, or is not a plain function', () => {
    const f = compileFast(jsonata("$table('t', a) & $thread.x").ast())!;
    const calls: string[] = [];
    const table = (_: unknown, v: unknown): unknown => (calls.push('table'), v);
    expect(f({ a: 'x' }, { table })).toBe(BAIL); // no thread
    expect(f({ a: 'x' }, { thread: {} })).toBe(BAIL); // no table
    expect(f({ a: 'x' }, { table: 'not a function', thread: {} })).toBe(BAIL);
    expect(f({ a: 'x' }, { table: Object.assign(() => 1, { signature: {} }), thread: {} })).toBe(BAIL);
    const hidden = Object.defineProperty({ table }, 'thread', { value: {}, enumerable: false }); // jsonata binds Object.keys only
    expect(f({ a: 'x' }, hidden)).toBe(BAIL);
    expect(f([{ a: 'x' }], { table, thread: {} })).toBe(BAIL); // an array input
    expect(compileFast(jsonata('$string(a)').ast())!({ a: 1 }, { string: () => 'mine' })).toBe(BAIL); // a shadowed built-in
    expect(calls).toEqual([]);
    expect(f({ a: 'x' }, { table, thread: { x: 1 } })).toBe('x1');
    expect(calls).toEqual(['table']);
  });

  it('bails before a call on what it cannot mirror, and throws FastPathLimit (never BAIL) after one', () => {
    const calls: string[] = [];
    const bindings = {
      record: (_: unknown, k: unknown) => (calls.push(`record ${String(k)}`), k === 'fn' ? { b: { _jsonata_function: true } } : k === 'p' ? Promise.resolve(1) : { b: 'ok' }),
      table: (_: unknown, v: unknown) => (calls.push('table'), v),
    };
    const f = compileFast(jsonata("$table('t', $record('s', a).b)").ast())!;
    expect(f({ a: 'x' }, bindings)).toBe('ok');
    expect(() => f({ a: 'fn' }, bindings)).toThrow(FastPathLimit);
    const g = compileFast(jsonata("$table('t', a)").ast())!;
    calls.length = 0;
    expect(g({ a: { _jsonata_lambda: true } }, bindings)).toBe(BAIL);
    expect(g({ a: 'Infinity' }, bindings)).toBe('Infinity');
    expect(calls).toEqual(['table']);
    const h = compileFast(jsonata("$record('s', a)").ast())!;
    expect(() => h({ a: 'p' }, bindings)).toThrow(FastPathLimit);
    // A JSONata language error before any call is a BAIL (jsonata then reports it itself)…
    const i = compileFast(jsonata("'x' & $thread").ast())!;
    expect(i({}, { thread: Infinity })).toBe(BAIL);
    // …and after one it is jsonata's error.
    const k = compileFast(jsonata("'x' & $table('t', a)").ast())!;
    let thrown: unknown;
    try {
      k({ a: Infinity }, bindings);
    } catch (e) {
      thrown = e;
    }
    expect(describeJsonataError(thrown)).toBe('Attempting to invoke string function on Infinity or NaN (JSONata D3001 at position 5)');
  });

  it('surfaces an error thrown by a bound function as jsonata does: the same object, with position and token', async () => {
    const err = new Error("$table('agents'): no row for \"x\" and the table has no _default");
    const b = { table: () => { throw err; } };
    const text = "'a' & $table('agents', x)";
    const j = await jsonata(text).evaluate({ x: 'x' }, b).catch((e: unknown) => e);
    expect(j).toBe(err);
    expect(j).toMatchObject({ position: 13, token: 'table' });
    const err2 = new Error('again');
    const b2 = { table: () => { throw err2; } };
    let f: unknown;
    try {
      compileFast(jsonata(text).ast())!({ x: 'x' }, b2);
    } catch (e) {
      f = e;
    }
    expect(f).toBe(err2);
    expect(f).toMatchObject({ position: 13, token: 'table' });
    expect(describeJsonataError(f)).toBe('again');
  });
});
