/** Shared by the build steps: where problems go, how values are located, how expressions compile. */
import { PmError, type SourceLocation } from '../core/errors.js';
import { compileJsonata, type CompileOptions } from './compile.js';
import { compileFast } from './fast-path.js';
import type { Expr, LiveKindCatalog } from './types.js';
import { formatPath, type NodeIndex, type Path } from './yaml-doc.js';

export interface BuildContext {
  /** The manifest file as the user named it, for locations. */
  readonly file: string;
  /** Absolute directory of the manifest. */
  readonly dir: string;
  readonly nodes: NodeIndex;
  readonly problems: PmError[];
  readonly compile: CompileOptions;
  /** Every compiled expression, for the static lookup checks. */
  readonly exprs: Expr[];
  /** The live source kinds (connections, command sources); absent: only their form is checked. */
  readonly catalog?: LiveKindCatalog;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function has(o: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

export function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function int(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

export function bool(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function problem(ctx: BuildContext, code: string, message: string, path: Path, opts: { hint?: string; at?: 'key' | 'value' } = {}): void {
  const location: SourceLocation = opts.at === 'key' ? ctx.nodes.keyLocation(path) : ctx.nodes.location(path);
  ctx.problems.push(new PmError(code, message, { location, path: formatPath(path), hint: opts.hint }));
}

/**
 * The value at `path` as an expression: a string is compiled as JSONata, a YAML number, boolean or
 * null is a constant. Undefined when absent or malformed (the schema or the compiler reported it).
 */
export function expr(ctx: BuildContext, path: Path, value: unknown): Expr | undefined {
  if (value === undefined) return undefined;
  const location = ctx.nodes.location(path);
  const pathText = formatPath(path);
  if (typeof value === 'string') {
    if (value.trim() === '') return undefined;
    const compiled = compileJsonata(value, pathText, location, ctx.compile, ctx.problems);
    if (!compiled) return undefined;
    const fast = ctx.compile.fastPath === false ? undefined : compileFast(compiled.ast(), { maxDepth: ctx.compile.maxDepth });
    const e: Expr = { text: value, location, path: pathText, compiled, ...(fast ? { fast } : {}) };
    ctx.exprs.push(e);
    return e;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    const raw = ctx.nodes.get(path)?.raw;
    return { text: raw ?? String(value), location, path: pathText, constant: { value } };
  }
  return undefined;
}
