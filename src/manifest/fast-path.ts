/**
 * A synchronous evaluator for a small subset of JSONata (jsonata 2.2.2), used before the real one.
 *
 * `compileFast(jsonata(text).ast())` gives a `FastEval` for an expression made only of: string, number,
 * true/false/null literals; paths of plain names (`a.b.c`, backtick names) over the input, or after a
 * first step that is `$`, `$$`, a bound variable (`$thread.x`) or a function call (`$record('u', x).email`);
 * calls of bound functions (`$record`, `$table`, … anything in the bindings) and of the built-ins `$string`,
 * `$not`, `$exists` with one argument; `&`, `=`, `!=`, `and`, `or`; `c ? a` and `c ? a : b`; `( e )`.
 * Anything else (filters, predicates, constructors, other operators and built-ins, `:=`, lambdas…): undefined.
 *
 * CONTRACT: when `fast(input, bindings)` does not return BAIL, its value is the one of
 * `plain(await jsonata(text).evaluate(input, bindings))` (plain(): evaluate.ts), and when it throws, JSONata's
 * evaluate would have rejected with the same thrown object, decorated (position, token, message) the same way,
 * so `describeJsonataError` gives the same text. This is obtained by mirroring JSONata's own code, not by
 * approximating it: every helper below (lookup, the path step and flatten rules, the singleton/sequence
 * unwrapping at the end of each evaluate(), fn.string, fn.boolean, isDeepEqual, the error decoration of
 * evaluateFunction/applyInner/evaluateBinary and populateMessage with its catalog) is a transcription of the
 * jsonata 2.2.2 function of the same name, in the same order, in strict mode like the original. So arrays,
 * nested arrays, singleton unwrapping, objects, -0, 1e21 etc. are handled, not bailed on; test/mapping/
 * fast-path.test.ts checks it against jsonata over the manifests' expressions and edge-case records.
 *
 * SIDE-EFFECT INVARIANT: BAIL is only ever returned before the first bound function has been called in that
 * evaluation (bound functions count: $table counts unmapped values, $record/$records track look-ups; a BAIL
 * after one would make the JSONata fallback call it again). Concretely: every BAIL condition about the
 * bindings (a variable or procedure not bound, a procedure that is not a plain JS function, a built-in name
 * shadowed by a binding) and the input (a top-level array) is checked up front; and any exception raised by
 * this module's own code (a JSONata language error such as D3001/D1001, a value it cannot pass on) becomes
 * BAIL only while `frame.called` is false: `called` is set just before a bound function is invoked. After
 * that, everything is total: the mirrors give JSONata's value or JSONata's error, never BAIL.
 *
 * The only behaviours not mirrored (each throws a FastPathLimit instead of producing a different value, and
 * each needs something no JSON record or makeBindings() function produces):
 *  - after a call, passing a function, or an object carrying JSONata's internal `_jsonata_function: true` /
 *    `_jsonata_lambda: true` markers, as an argument of a bound function (JSONata would wrap it in one of
 *    its own closures); before any call this is a BAIL;
 *  - a bound function returning a thenable (JSONata awaits it) or a JSONata tail-call thunk.
 * Preconditions (true of makeBindings): bound functions are synchronous and do not mutate the input or the
 * bindings object. JSONata's evaluation guard is honoured for depth (compileFast's maxDepth: an expression
 * deeper than it is not compiled) but not for time: the fast path cannot loop, and only a bound function
 * taking longer than the timeout followed by further evaluation would have tripped JSONata's D1012.
 */

/** "Not handled: use the JSONata evaluator" (and nothing was called). */
export const BAIL: unique symbol = Symbol('plain-migrate fast-path bail');

export type FastEval = (input: unknown, bindings: Record<string, unknown>) => unknown | typeof BAIL;

export interface FastOptions {
  /** The `stack` guard the expression is compiled with (compile.ts maxDepth): deeper expressions are not compiled. */
  readonly maxDepth?: number;
}

/** Thrown (after a bound function was called) for the few things JSONata does that this module does not mirror. */
export class FastPathLimit extends Error {}

/* eslint-disable @typescript-eslint/no-explicit-any -- the mirrors below take any value, as JSONata's do. */

// ---------------------------------------------------------------------------------------------------------
// Mirrors of jsonata 2.2.2 helpers (utils.js, functions.js, jsonata.js), same names, same order of tests.

function isNumeric(n: any): boolean {
  let isNum = false;
  if (typeof n === 'number') {
    isNum = !isNaN(n);
    if (isNum && !isFinite(n)) {
      throw { code: 'D1001', value: n, stack: new Error().stack };
    }
  }
  return isNum;
}

function isFunction(arg: any): boolean {
  return !!((arg && (arg._jsonata_function === true || arg._jsonata_lambda === true)) || typeof arg === 'function');
}

function isLambda(arg: any): boolean {
  return !!(arg && arg._jsonata_lambda === true);
}

function isPromise(arg: any): boolean {
  return typeof arg === 'object' && arg !== null && 'then' in arg && typeof arg.then === 'function';
}

function isSequence(value: any): boolean {
  return value.sequence === true && Array.isArray(value);
}

function getFunctionArity(func: any): unknown {
  const arity =
    typeof func.arity === 'number'
      ? func.arity
      : typeof func.implementation === 'function'
        ? func.implementation.length
        : typeof func.length === 'number'
          ? func.length
          : func.arguments.length;
  return arity;
}

function isDeepEqual(lhs: any, rhs: any): boolean {
  if (lhs === rhs) {
    return true;
  }
  if (typeof lhs === 'object' && typeof rhs === 'object' && lhs !== null && rhs !== null) {
    if (Array.isArray(lhs) && Array.isArray(rhs)) {
      if (lhs.length !== rhs.length) {
        return false;
      }
      for (let ii = 0; ii < lhs.length; ii++) {
        if (!isDeepEqual(lhs[ii], rhs[ii])) {
          return false;
        }
      }
      return true;
    }
    let lkeys = Object.getOwnPropertyNames(lhs);
    let rkeys = Object.getOwnPropertyNames(rhs);
    if (lkeys.length !== rkeys.length) {
      return false;
    }
    lkeys = lkeys.sort();
    rkeys = rkeys.sort();
    for (let ii = 0; ii < lkeys.length; ii++) {
      if (lkeys[ii] !== rkeys[ii]) {
        return false;
      }
    }
    for (let ii = 0; ii < lkeys.length; ii++) {
      const key = lkeys[ii]!;
      if (!isDeepEqual(lhs[key], rhs[key])) {
        return false;
      }
    }
    return true;
  }
  return false;
}

/** environment.base.createSequence (no `sequence` size option is set by compile.ts). */
function createSequence(): any[] {
  const sequence: any = [];
  sequence.sequence = true;
  return sequence;
}

/** fn.lookup */
function lookup(input: any, key: string): any {
  let result: any;
  if (Array.isArray(input)) {
    result = createSequence();
    for (let ii = 0; ii < input.length; ii++) {
      const res = lookup(input[ii], key);
      if (typeof res !== 'undefined') {
        if (Array.isArray(res)) {
          res.forEach((val) => result.push(val));
        } else {
          result.push(res);
        }
      }
    }
  } else if (input !== null && typeof input === 'object' && Object.prototype.hasOwnProperty.call(input, key) && !isFunction(input)) {
    result = input[key];
  }
  return result;
}

function stringReplacer(_key: string, val: any): any {
  if (typeof val !== 'undefined' && val !== null && isNumeric(val)) {
    return val.toPrecision && !Number.isInteger(val) ? Number(val.toPrecision(15)) : val;
  }
  return val && isFunction(val) ? '' : val;
}

/** fn.string(arg) (prettify false), with shortcuts for scalars that give what JSON.stringify with the replacer gives. */
function jString(arg: any): string | undefined {
  if (typeof arg === 'undefined') {
    return undefined;
  }
  if (typeof arg === 'string') return arg;
  // Shortcuts: JSON.stringify(x, replacer) of a finite number/boolean/null is String() of what the replacer returns.
  if (typeof arg === 'number' && isFinite(arg)) return Number.isInteger(arg) ? String(arg) : String(Number(arg.toPrecision(15)));
  if (typeof arg === 'boolean') return arg ? 'true' : 'false';
  if (arg === null) return 'null';
  let str: any;
  if (isFunction(arg)) {
    str = '';
  } else if (typeof arg === 'number' && !isFinite(arg)) {
    throw { code: 'D3001', value: arg, stack: new Error().stack };
  } else {
    if (Array.isArray(arg) && (arg as any).outerWrapper) {
      arg = arg[0];
    }
    str = JSON.stringify(arg, stringReplacer, 0);
  }
  return str;
}

/** fn.boolean */
function jBoolean(arg: any): boolean | undefined {
  if (typeof arg === 'undefined') {
    return undefined;
  }
  let result: boolean | undefined = false;
  if (Array.isArray(arg)) {
    if (arg.length === 1) {
      result = jBoolean(arg[0]);
    } else if (arg.length > 1) {
      const trues = arg.filter((val) => jBoolean(val));
      result = trues.length > 0;
    }
  } else if (typeof arg === 'string') {
    if (arg.length > 0) {
      result = true;
    }
  } else if (isNumeric(arg)) {
    if (arg !== 0) {
      result = true;
    }
  } else if (arg !== null && typeof arg === 'object' && !isFunction(arg)) {
    if (Object.keys(arg).length > 0) {
      result = true;
    }
  } else if (typeof arg === 'boolean' && arg === true) {
    result = true;
  }
  return result;
}

function boolize(value: any): boolean {
  const booledValue = jBoolean(value);
  return typeof booledValue === 'undefined' ? false : booledValue;
}

/** evaluateStringConcat */
function concat(lhs: any, rhs: any): string {
  if (typeof lhs === 'string' && typeof rhs === 'string') return lhs + rhs;
  let lstr: any = '';
  let rstr: any = '';
  if (typeof lhs !== 'undefined') {
    lstr = jString(lhs);
  }
  if (typeof rhs !== 'undefined') {
    rstr = jString(rhs);
  }
  return lstr.concat(rstr);
}

/** The tail of evaluate(): a result sequence of 0 items is undefined, of 1 item that item (unless keepSingleton). */
function post(result: any): any {
  if (Array.isArray(result) && (result as any).sequence === true && !(result as any).tupleStream) {
    if (result.length === 0) {
      return undefined;
    } else if (result.length === 1) {
      return (result as any).keepSingleton ? result : result[0];
    }
  }
  return result;
}

/** evaluate.ts's plain(). */
function plain(v: any): unknown {
  if (Array.isArray(v) && (v as any).sequence) return Array.from(v);
  return v;
}

/** The end of evaluateStep: the last step keeps a lone (non-sequence) array as it is; otherwise flatten one level. */
function finishStep(result: any[], lastStep: boolean): any[] {
  if (lastStep && result.length === 1 && Array.isArray(result[0]) && !isSequence(result[0])) {
    return result[0];
  }
  const resultSequence = createSequence();
  Array.prototype.forEach.call(result, (res: any) => {
    if (!Array.isArray(res) || (res as any).cons) {
      resultSequence.push(res);
    } else {
      Array.prototype.forEach.call(res, (val: any) => resultSequence.push(val));
    }
  });
  return resultSequence;
}

/**
 * evaluatePath over a single input item: `first` is the (post-processed) value of the first step, `names` the
 * following name steps. Pure: it never calls anything, so it can be re-run from `first`.
 */
function pathGeneral(first: any, names: readonly string[]): any {
  const n = names.length;
  const result0 = createSequence();
  if (typeof first !== 'undefined') result0.push(first);
  let seq = finishStep(result0, n === 0);
  if (seq.length !== 0) {
    for (let i = 0; i < n; i++) {
      const name = names[i]!;
      const result = createSequence();
      for (let ii = 0; ii < seq.length; ii++) {
        const res = post(lookup(seq[ii], name));
        if (typeof res !== 'undefined') result.push(res);
      }
      seq = finishStep(result, i === n - 1);
      if (seq.length === 0) break;
    }
  }
  return post(seq);
}

/** pathGeneral, without allocating while every value met is a single non-array value (the usual case). */
function path(first: any, names: readonly string[]): any {
  if (Array.isArray(first)) return pathGeneral(first, names);
  let cur = first;
  for (let i = 0; i < names.length; i++) {
    if (typeof cur === 'undefined') return undefined;
    const name = names[i]!;
    const v =
      cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, name) && !isFunction(cur) ? cur[name] : undefined;
    if (Array.isArray(v)) return pathGeneral(first, names);
    cur = v;
  }
  return cur;
}

/** applyInner's catch, then evaluateFunction's catch, for an error thrown by the procedure. */
function rethrowFromCall(err: any, proc: { token?: unknown; position?: unknown }, position: unknown, procName: string): never {
  try {
    if (typeof err.token == 'undefined' && typeof proc.token !== 'undefined') {
      err.token = proc.token;
    }
    err.position = proc.position || err.position;
    throw err;
  } catch (e: any) {
    if (!e.position) {
      e.position = position;
    }
    if (!e.token) {
      e.token = procName;
    }
    throw e;
  }
}

/** evaluateBinary's catch. */
function rethrowFromBinary(err: any, position: unknown, op: string): never {
  err.position = position;
  err.token = op;
  throw err;
}

/** populateMessage (jsonata's top-level catch). */
function populateMessage(err: any): void {
  const template = errorCodes[err.code];
  if (typeof template !== 'undefined') {
    let message = template.replace(/\{\{\{([^}]+)}}}/g, function () {
      // eslint-disable-next-line prefer-rest-params
      return err[arguments[1]];
    });
    message = message.replace(/\{\{([^}]+)}}/g, function () {
      // eslint-disable-next-line prefer-rest-params
      return JSON.stringify(err[arguments[1]]);
    });
    err.message = message;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compilation: the AST becomes a tree of closures over a Frame.

interface Frame {
  input: any;
  /** A bound function has been invoked in this evaluation: from then on nothing may BAIL. */
  called: boolean;
  /** The bound variables the expression uses, read once at the start like JSONata's exec_env.bind(). */
  vars: unknown[];
}

type Node = (f: Frame) => any;

/** The JSONata built-ins (and the instance's $now/$millis): a call of one of these is not compiled unless mirrored below. */
const JSONATA_FUNCTIONS = new Set(
  (
    'sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad match contains ' +
    'replace split join formatNumber formatBase formatInteger parseInteger number floor ceil round abs sqrt power random boolean not ' +
    'map zip filter single reduce sift keys lookup append exists spread merge reverse each error assert type sort shuffle distinct ' +
    'encodeUrlComponent encodeUrl decodeUrlComponent decodeUrl eval toMillis fromMillis clone now millis'
  ).split(' '),
);

/** Built-ins mirrored here (one argument each); the binding of the same name must be absent. */
const MIRRORED: Readonly<Record<string, (arg: any) => unknown>> = {
  string: (arg) => jString(arg),
  not: (arg) => (typeof arg === 'undefined' ? undefined : !jBoolean(arg)),
  exists: (arg) => typeof arg !== 'undefined',
};

const NODE_KEYS: Readonly<Record<string, ReadonlySet<string>>> = {
  string: new Set(['type', 'value', 'position']),
  number: new Set(['type', 'value', 'position']),
  value: new Set(['type', 'value', 'position']),
  name: new Set(['type', 'value', 'position']),
  variable: new Set(['type', 'value', 'position']),
  path: new Set(['type', 'steps']),
  // the parser gives function nodes a `name` key holding undefined (evaluateFunction does not read it)
  function: new Set(['type', 'name', 'value', 'position', 'arguments', 'procedure']),
  binary: new Set(['type', 'value', 'position', 'lhs', 'rhs']),
  condition: new Set(['type', 'position', 'condition', 'then', 'else']),
  block: new Set(['type', 'position', 'expressions']),
};

type Ast = Record<string, unknown> & { type: string };

function asNode(v: unknown): Ast | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const t = (v as { type?: unknown }).type;
  if (typeof t !== 'string') return undefined;
  const allowed = NODE_KEYS[t];
  if (!allowed) return undefined;
  for (const k of Object.keys(v)) if (!allowed.has(k)) return undefined;
  if (t === 'function' && (v as { name?: unknown }).name !== undefined) return undefined;
  return v as Ast;
}

class Unsupported extends Error {}

function fail(): never {
  throw new Unsupported();
}

class Compiler {
  /** Binding names, by slot. */
  readonly names: string[] = [];
  /** Slots that are called: they must hold plain JS functions. */
  readonly procs = new Set<number>();
  /** Mirrored built-ins used: they must not be shadowed by a binding. */
  readonly builtins = new Set<string>();

  slot(name: string): number {
    const i = this.names.indexOf(name);
    if (i >= 0) return i;
    this.names.push(name);
    return this.names.length - 1;
  }

  /** A node and the depth of evaluate() calls it nests (for the stack guard). */
  node(v: unknown): [Node, number] {
    const n = asNode(v) ?? fail();
    switch (n.type) {
      case 'string':
      case 'number':
      case 'value': {
        const value = n.value;
        const ok = n.type === 'string' ? typeof value === 'string' : n.type === 'number' ? typeof value === 'number' : value === true || value === false || value === null;
        if (!ok) fail();
        return [() => value, 1];
      }
      case 'variable':
        return [this.variable(n), 1];
      case 'function':
        return this.call(n);
      case 'path':
        return this.path(n);
      case 'binary':
        return this.binary(n);
      case 'condition': {
        const [cond, dc] = this.node(n.condition);
        const [then, dt] = this.node(n.then);
        const hasElse = typeof n.else !== 'undefined';
        const [els, de] = hasElse ? this.node(n.else) : [undefined, 0];
        const depth = 1 + Math.max(dc, dt, de);
        if (els) return [(f) => (jBoolean(cond(f)) ? then(f) : els(f)), depth];
        return [(f) => (jBoolean(cond(f)) ? then(f) : undefined), depth];
      }
      case 'block': {
        const exprs = n.expressions;
        if (!Array.isArray(exprs) || exprs.length !== 1) fail();
        const [inner, d] = this.node(exprs[0]);
        return [inner, 1 + d];
      }
      default:
        return fail();
    }
  }

  variable(n: Ast): Node {
    const name = n.value;
    if (typeof name !== 'string') fail();
    if (name === '') {
      // evaluateVariable: the context (the input is never an array here, see the top-level check).
      return (f) => {
        const input = f.input;
        return post(input && input.outerWrapper ? input[0] : input);
      };
    }
    if (name === '$') return (f) => post(f.input);
    const i = this.slot(name);
    return (f) => post(f.vars[i]);
  }

  path(n: Ast): [Node, number] {
    const steps = n.steps;
    if (!Array.isArray(steps) || steps.length === 0) fail();
    const names: string[] = [];
    for (const s of steps.slice(1)) {
      const step = asNode(s);
      if (!step || step.type !== 'name' || typeof step.value !== 'string') fail();
      names.push(step.value);
    }
    const s0 = asNode(steps[0]) ?? fail();
    let first: Node;
    let depth = 1;
    if (s0.type === 'name') {
      const name = s0.value;
      if (typeof name !== 'string') fail();
      first = (f) => post(lookup(f.input, name));
    } else if (s0.type === 'variable') {
      first = this.variable(s0);
    } else if (s0.type === 'function') {
      [first, depth] = this.call(s0);
    } else {
      fail();
    }
    const d = 1 + depth;
    if (names.length === 0) return [(f) => path(first(f), names), d];
    if (names.length === 1) {
      const name = names[0]!;
      return [
        (f) => {
          const cur = first(f);
          if (Array.isArray(cur)) return pathGeneral(cur, names);
          const v =
            cur !== null && typeof cur === 'object' && Object.prototype.hasOwnProperty.call(cur, name) && !isFunction(cur) ? cur[name] : undefined;
          return Array.isArray(v) ? pathGeneral(cur, names) : v;
        },
        d,
      ];
    }
    return [(f) => path(first(f), names), d];
  }

  call(n: Ast): [Node, number] {
    const proc = asNode(n.procedure);
    if (!proc || proc.type !== 'variable' || typeof proc.value !== 'string' || proc.value === '' || proc.value === '$') fail();
    const name = proc.value;
    const position = n.position;
    const argAsts = n.arguments;
    if (!Array.isArray(argAsts)) fail();
    const compiled = argAsts.map((a) => this.node(a));
    const args = compiled.map(([node]) => node);
    const depth = 1 + Math.max(1, ...compiled.map(([, d]) => d));
    const mirrored = Object.prototype.hasOwnProperty.call(MIRRORED, name) ? MIRRORED[name] : undefined;
    if (mirrored) {
      if (args.length !== 1) fail();
      this.builtins.add(name);
      const arg = args[0]!;
      return [
        (f) => {
          const a = arg(f);
          // evaluateFunction wraps a function argument in a closure; the mirrored built-ins treat the closure
          // and the value alike (isFunction), but computing its arity can throw: do it as JSONata does.
          if (isFunction(a)) getFunctionArity(a);
          try {
            return mirrored(a);
          } catch (err) {
            // the built-in's function object carries token = name and position = this call's position
            return rethrowFromCall(err, { token: name, position }, position, name);
          }
        },
        depth,
      ];
    }
    if (JSONATA_FUNCTIONS.has(name)) fail();
    const slot = this.slot(name);
    this.procs.add(slot);
    const argc = args.length;
    return [
      (f) => {
        const p: any = f.vars[slot];
        const evaluatedArgs: unknown[] = [];
        for (let j = 0; j < argc; j++) {
          const a = args[j]!(f);
          if (isFunction(a)) {
            throw new FastPathLimit(`$${name}: argument ${j + 1} is a function (or carries JSONata's internal _jsonata_function/_jsonata_lambda marker); the fast evaluator does not pass those on`);
          }
          evaluatedArgs.push(a);
        }
        f.called = true;
        let result: any;
        try {
          result = p.apply(f.input, evaluatedArgs);
        } catch (err) {
          rethrowFromCall(err, p, position, name);
        }
        if (isPromise(result)) throw new FastPathLimit(`$${name} returned a promise: bound functions must be synchronous`);
        if (isLambda(result) && result.thunk === true) throw new FastPathLimit(`$${name} returned a JSONata tail-call thunk`);
        return post(result);
      },
      depth,
    ];
  }

  binary(n: Ast): [Node, number] {
    const op = n.value;
    const position = n.position;
    if (op !== '&' && op !== '=' && op !== '!=' && op !== 'and' && op !== 'or') fail();
    const [lhs, dl] = this.node(n.lhs);
    const [rhs, dr] = this.node(n.rhs);
    const depth = 1 + Math.max(dl, dr);
    switch (op) {
      case '&':
        return [
          (f) => {
            const l = lhs(f);
            const r = rhs(f);
            try {
              return concat(l, r);
            } catch (err) {
              return rethrowFromBinary(err, position, op);
            }
          },
          depth,
        ];
      case '=':
      case '!=': {
        const eq = op === '=';
        return [
          (f) => {
            const l = lhs(f);
            const r = rhs(f);
            try {
              if (typeof l === 'undefined' || typeof r === 'undefined') return false;
              return eq ? isDeepEqual(l, r) : !isDeepEqual(l, r);
            } catch (err) {
              return rethrowFromBinary(err, position, op);
            }
          },
          depth,
        ];
      }
      default: {
        const and = op === 'and';
        return [
          (f) => {
            const l = lhs(f);
            try {
              const lBool = boolize(l);
              return and ? lBool && boolize(rhs(f)) : lBool || boolize(rhs(f));
            } catch (err) {
              return rethrowFromBinary(err, position, op);
            }
          },
          depth,
        ];
      }
    }
  }
}

const isEnumerableOwn = Object.prototype.propertyIsEnumerable;

/**
 * A FastEval for `ast` (= jsonata(text).ast()), or undefined when the expression uses anything outside the
 * subset (or nests deeper than opts.maxDepth, where JSONata's stack guard would throw).
 */
export function compileFast(ast: unknown, opts: FastOptions = {}): FastEval | undefined {
  const c = new Compiler();
  let root: Node;
  let depth: number;
  try {
    [root, depth] = c.node(ast);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
  if (opts.maxDepth !== undefined && depth > opts.maxDepth) return undefined;
  const names = c.names.slice();
  const nVars = names.length;
  const procs = [...c.procs];
  const builtins = [...c.builtins];
  const newFrame = (): Frame => ({ input: undefined, called: false, vars: new Array<unknown>(nVars).fill(undefined) });
  let spare: Frame | undefined = newFrame();

  return (input, bindings) => {
    // jsonata wraps an array input in a singleton sequence (outerWrapper); not mirrored.
    if (Array.isArray(input)) return BAIL;
    const f = spare ?? newFrame();
    spare = undefined;
    f.input = input;
    f.called = false;
    const vars = f.vars;
    try {
      for (let i = 0; i < builtins.length; i++) if (isEnumerableOwn.call(bindings, builtins[i]!)) return BAIL;
      // jsonata binds Object.keys(bindings) at the start; an unbound name could be a built-in or $now.
      for (let i = 0; i < nVars; i++) {
        const name = names[i]!;
        if (!isEnumerableOwn.call(bindings, name)) return BAIL;
        vars[i] = bindings[name];
      }
      for (let i = 0; i < procs.length; i++) {
        const p: any = vars[procs[i]!];
        // applyInner's plain-function branch: no signature to validate, not a lambda or native JSONata function.
        if (typeof p !== 'function' || p._jsonata_lambda === true || p._jsonata_function === true || typeof p.signature !== 'undefined') return BAIL;
      }
      return plain(root(f));
    } catch (e) {
      if (!f.called) return BAIL;
      populateMessage(e);
      throw e;
    } finally {
      f.input = undefined;
      for (let i = 0; i < nVars; i++) vars[i] = undefined;
      spare = f;
    }
  };
}

/** jsonata 2.2.2's errorCodes, verbatim (MIT, © IBM Corp.): populateMessage's catalog. */
const errorCodes: Record<string, any> = {
  "S0101": "String literal must be terminated by a matching quote",
  "S0102": "Number out of range: {{token}}",
  "S0103": "Unsupported escape sequence: \\{{token}}",
  "S0104": "The escape sequence \\u must be followed by 4 hex digits",
  "S0105": "Quoted property name must be terminated with a backquote (`)",
  "S0106": "Comment has no closing tag",
  "S0201": "Syntax error: {{token}}",
  "S0202": "Expected {{value}}, got {{token}}",
  "S0203": "Expected {{value}} before end of expression",
  "S0204": "Unknown operator: {{token}}",
  "S0205": "Unexpected token: {{token}}",
  "S0206": "Unknown expression type: {{token}}",
  "S0207": "Unexpected end of expression",
  "S0208": "Parameter {{value}} of function definition must be a variable name (start with $)",
  "S0209": "A predicate cannot follow a grouping expression in a step",
  "S0210": "Each step can only have one grouping expression",
  "S0211": "The symbol {{token}} cannot be used as a unary operator",
  "S0212": "The left side of := must be a variable name (start with $)",
  "S0213": "The literal value {{value}} cannot be used as a step within a path expression",
  "S0214": "The right side of {{token}} must be a variable name (start with $)",
  "S0215": "A context variable binding must precede any predicates on a step",
  "S0216": "A context variable binding must precede the 'order-by' clause on a step",
  "S0217": "The object representing the 'parent' cannot be derived from this expression",
  "S0301": "Empty regular expressions are not allowed",
  "S0302": "No terminating / in regular expression",
  "S0402": "Choice groups containing parameterized types are not supported",
  "S0401": "Type parameters can only be applied to functions and arrays",
  "S0500": "Attempted to evaluate an expression containing syntax error(s)",
  "T0410": "Argument {{index}} of function {{token}} does not match function signature",
  "T0411": "Context value is not a compatible type with argument {{index}} of function {{token}}",
  "T0412": "Argument {{index}} of function {{token}} must be an array of {{type}}",
  "D1001": "Number out of range: {{value}}",
  "D1002": "Cannot negate a non-numeric value: {{value}}",
  "T1003": "Key in object structure must evaluate to a string; got: {{value}}",
  "D1004": "Regular expression matches zero length string",
  "T1005": "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
  "T1006": "Attempted to invoke a non-function",
  "T1007": "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
  "T1008": "Attempted to partially apply a non-function",
  "D1009": "Multiple key definitions evaluate to same key: {{value}}",
  "T1010": "The matcher function argument passed to function {{token}} does not return the correct object structure",
  "D1011": "Stack overflow. Check for non-terminating recursive function.  Consider rewriting as tail-recursive",
  "D1012": "Evaluation timeout after {{value}} milliseconds. Check for infinite loop",
  "D1013": "Object property names starting with _jsonata_ are reserved for internal use: {{value}}",
  "T2001": "The left side of the {{token}} operator must evaluate to a number",
  "T2002": "The right side of the {{token}} operator must evaluate to a number",
  "T2003": "The left side of the range operator (..) must evaluate to an integer",
  "T2004": "The right side of the range operator (..) must evaluate to an integer",
  "D2005": "The left side of := must be a variable name (start with $)",  // defunct - replaced by S0212 parser error
  "T2006": "The right side of the function application operator ~> must be a function",
  "T2007": "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause",
  "T2008": "The expressions within an order-by clause must evaluate to numeric or string values",
  "T2009": "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type",
  "T2010": "The expressions either side of operator {{token}} must evaluate to numeric or string values",
  "T2011": "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
  "T2012": "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}",
  "T2013": "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function.",
  "D2014": "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {{value}}.",
  "D2015": "The maximum sequence length of {{value}} was exceeded.",
  "D3001": "Attempting to invoke string function on Infinity or NaN",
  "D3010": "Second argument of replace function cannot be an empty string",
  "D3011": "Fourth argument of replace function must evaluate to a positive number",
  "D3012": "Attempted to replace a matched string with a non-string value",
  "D3020": "Third argument of split function must evaluate to a positive number",
  "D3030": "Unable to cast value to a number: {{value}}",
  "D3040": "Third argument of match function must evaluate to a positive number",
  "D3050": "The second argument of reduce function must be a function with at least two arguments",
  "D3060": "The sqrt function cannot be applied to a negative number: {{value}}",
  "D3061": "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}",
  "D3070": "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
  "D3080": "The picture string must only contain a maximum of two sub-pictures",
  "D3081": "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
  "D3082": "The sub-picture must not contain more than one instance of the 'percent' character",
  "D3083": "The sub-picture must not contain more than one instance of the 'per-mille' character",
  "D3084": "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
  "D3085": "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
  "D3086": "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
  "D3087": "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
  "D3088": "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
  "D3089": "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
  "D3090": "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
  "D3091": "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
  "D3092": "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
  "D3093": "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
  "D3100": "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
  "D3110": "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
  "D3120": "Syntax error in expression passed to function eval: {{value}}",
  "D3121": "Dynamic error evaluating the expression passed to function eval: {{value}}",
  "D3130": "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation",
  "D3131": "In a decimal digit pattern, all digits must be from the same decimal group",
  "D3132": "Unknown component specifier {{value}} in date/time picture string",
  "D3133": "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}",
  "D3134": "The timezone integer format specifier cannot have more than four digits",
  "D3135": "No matching closing bracket ']' in date/time picture string",
  "D3136": "The date/time picture string is missing specifiers required to parse the timestamp",
  "D3137": "{{{message}}}",
  "D3138": "The $single() function expected exactly 1 matching result.  Instead it matched more.",
  "D3139": "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
  "D3140": "Malformed URL passed to ${{{functionName}}}(): {{value}}",
  "D3141": "{{{message}}}",
};
