/**
 * JSONata expressions: compiled once with the guardrail options, syntax errors reported with the
 * manifest location, the expression, the position inside it and a caret; and static checks of
 * `$record`/`$records`/`$table` calls whose first argument is a string literal.
 */
import jsonata from 'jsonata';
import { PmError, type SourceLocation } from '../core/errors.js';
import type { Expr } from './types.js';
import { suggestion } from './suggest.js';

export interface CompileOptions {
  readonly timeoutMs: number;
  readonly maxDepth: number;
  /** Evaluate the simple expressions without JSONata (fast-path.ts); off with PLAIN_MIGRATE_JSONATA_ONLY=1. */
  readonly fastPath?: boolean;
}

interface JsonataSyntaxError {
  readonly message: string;
  readonly position?: number;
  readonly token?: string;
}

function asSyntaxError(e: unknown): JsonataSyntaxError {
  if (typeof e === 'object' && e !== null) {
    const o = e as { message?: unknown; position?: unknown; token?: unknown };
    return {
      message: typeof o.message === 'string' ? o.message : String(e),
      position: typeof o.position === 'number' ? o.position : undefined,
      token: typeof o.token === 'string' ? o.token : undefined,
    };
  }
  return { message: String(e) };
}

/** The line of `text` holding `index`, with a caret under it, indented by four spaces. */
export function caretDisplay(text: string, index: number): string {
  const at = Math.max(0, Math.min(index, text.length));
  const start = text.lastIndexOf('\n', at - 1) + 1;
  const endNl = text.indexOf('\n', at);
  const line = text.slice(start, endNl < 0 ? text.length : endNl);
  return `    ${line}\n    ${' '.repeat(at - start)}^`;
}

/**
 * Compiles `text`; on a syntax error pushes a problem and returns undefined.
 * `pathText` is the property path, e.g. `threads.title`.
 */
export function compileJsonata(
  text: string,
  pathText: string,
  location: SourceLocation,
  opts: CompileOptions,
  problems: PmError[],
): jsonata.Expression | undefined {
  try {
    return jsonata(text, { timeout: opts.timeoutMs, stack: opts.maxDepth });
  } catch (e) {
    const err = asSyntaxError(e);
    const pos = err.position;
    const tokenLength = err.token !== undefined && err.token !== '(end)' ? err.token.length : 0;
    const caretAt = pos === undefined ? undefined : pos - tokenLength;
    const at = pos === undefined ? '' : ` at position ${pos}`;
    const display = caretAt === undefined ? `    ${text.trim()}` : caretDisplay(text.replace(/\s+$/, ''), caretAt);
    problems.push(
      new PmError('manifest.expression-syntax', `JSONata syntax error in ${pathText}${at}: ${err.message}\n${display}`, {
        location,
        hint: 'see https://docs.jsonata.org for the expression language',
      }),
    );
    return undefined;
  }
}

export type LookupFunction = 'record' | 'records' | 'table';

export interface LookupCall {
  readonly fn: LookupFunction;
  readonly name: string;
  /** Position of the name inside the expression (JSONata's, the end of the token). */
  readonly position?: number;
}

const LOOKUPS: ReadonlySet<string> = new Set(['record', 'records', 'table']);

/** Every `$record('x', …)`, `$records('x', …)`, `$table('x', …)` call with a string literal name. */
export function lookupCalls(ast: unknown): LookupCall[] {
  const calls: LookupCall[] = [];
  const seen = new Set<object>();
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const n = node as { type?: unknown; procedure?: { type?: unknown; value?: unknown }; arguments?: unknown };
    if ((n.type === 'function' || n.type === 'partial') && n.procedure?.type === 'variable' && typeof n.procedure.value === 'string' && LOOKUPS.has(n.procedure.value)) {
      const first = Array.isArray(n.arguments) ? (n.arguments[0] as { type?: unknown; value?: unknown; position?: unknown } | undefined) : undefined;
      if (first?.type === 'string' && typeof first.value === 'string') {
        calls.push({
          fn: n.procedure.value as LookupFunction,
          name: first.value,
          position: typeof first.position === 'number' ? first.position : undefined,
        });
      }
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(ast);
  return calls;
}

export interface LookupTargets {
  /** Source name → which lookups it supports. */
  readonly sources: ReadonlyMap<string, { key: boolean; groupBy: boolean }>;
  readonly tables: ReadonlySet<string>;
}

/** Checks the lookup calls of every compiled expression against the declared sources and tables. */
export function checkLookups(exprs: readonly Expr[], targets: LookupTargets, problems: PmError[]): void {
  const sourceNames = [...targets.sources.keys()];
  const tableNames = [...targets.tables];
  for (const expr of exprs) {
    if (!expr.compiled) continue;
    for (const call of lookupCalls(expr.compiled.ast())) {
      const shown = `$${call.fn}('${call.name}', …)`;
      const at = call.position === undefined ? '' : ` at position ${call.position}`;
      if (call.fn === 'table') {
        if (!targets.tables.has(call.name)) {
          problems.push(
            new PmError('manifest.unknown-table', `${shown} in ${expr.path}${at}: no table named '${call.name}'${suggestion(call.name, tableNames, 'declared tables')}`, {
              location: expr.location,
              path: expr.path,
              hint: tableNames.length === 0 ? `declare it under tables: ${call.name}: { … }` : undefined,
            }),
          );
        }
        continue;
      }
      const source = targets.sources.get(call.name);
      if (!source) {
        problems.push(
          new PmError('manifest.unknown-source', `${shown} in ${expr.path}${at}: no source named '${call.name}'${suggestion(call.name, sourceNames, 'declared sources')}`, {
            location: expr.location,
            path: expr.path,
          }),
        );
        continue;
      }
      const needs = call.fn === 'record' ? 'key' : 'groupBy';
      if (!source[needs]) {
        problems.push(
          new PmError('manifest.lookup-unindexed', `${shown} in ${expr.path}${at}: source '${call.name}' has no ${needs}`, {
            location: expr.location,
            path: expr.path,
            hint: `add ${needs}: <expression> under sources.${call.name}${call.fn === 'record' ? ' (e.g. key: id)' : ' (e.g. groupBy: ticket_id)'}`,
          }),
        );
      }
    }
  }
}
