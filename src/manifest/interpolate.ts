/**
 * `${VAR}` and `${VAR:-default}` in string scalars; `$${` writes a literal `${`.
 * Expressions (everything under `threads`, and sources' key/groupBy/select) are JSONata and left alone.
 */
import type { PathSeg } from './yaml-doc.js';

export interface InterpolationProblem {
  readonly code: 'manifest.env-missing' | 'manifest.interpolation';
  readonly message: string;
  readonly hint: string;
}

export interface InterpolationResult {
  readonly value: string;
  /** At least one ${…} was expanded (an escaped `$${` alone does not count). */
  readonly interpolated: boolean;
  /** Names of the variables read. */
  readonly variables: readonly string[];
  readonly problems: readonly InterpolationProblem[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// key/groupBy/select, and a live source's JSONata over responses and records (see build-live.ts).
const EXPRESSION_KEYS_OF_SOURCES = new Set(['key', 'groupBy', 'select', 'records', 'next', 'cursor', 'id']);

/** Whether a string at `path` is interpolated (false for JSONata expressions). */
export function isInterpolated(path: readonly PathSeg[]): boolean {
  if (path[0] === 'threads') return false;
  if (path[0] === 'sources' && path.length === 3 && typeof path[2] === 'string' && EXPRESSION_KEYS_OF_SOURCES.has(path[2])) {
    return false;
  }
  return true;
}

/**
 * Expands `text` from `env`. Shell semantics for the default: `${VAR:-d}` takes `d` when VAR is unset or
 * empty. A problem never quotes a variable's value.
 */
export function interpolate(text: string, env: NodeJS.ProcessEnv): InterpolationResult {
  if (!text.includes('${')) return { value: text, interpolated: false, variables: [], problems: [] };
  let out = '';
  let interpolated = false;
  const variables: string[] = [];
  const problems: InterpolationProblem[] = [];
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (!text.startsWith('${', i)) {
      out += text[i];
      i += 1;
      continue;
    }
    const close = text.indexOf('}', i + 2);
    if (close < 0) {
      problems.push({
        code: 'manifest.interpolation',
        message: 'unclosed ${ in a string: expected ${NAME} or ${NAME:-default}',
        hint: 'close it with }, or write $${ for a literal ${',
      });
      out += text.slice(i);
      break;
    }
    const inner = text.slice(i + 2, close);
    const sep = inner.indexOf(':-');
    const name = sep < 0 ? inner : inner.slice(0, sep);
    const fallback = sep < 0 ? undefined : inner.slice(sep + 2);
    i = close + 1;
    if (!NAME.test(name)) {
      problems.push({
        code: 'manifest.interpolation',
        message: 'malformed ${…}: expected ${NAME} or ${NAME:-default}, where NAME is letters, digits and _',
        hint: 'write $${ for a literal ${',
      });
      continue;
    }
    interpolated = true;
    variables.push(name);
    const value = env[name];
    if (fallback !== undefined) {
      out += value === undefined || value === '' ? fallback : value;
    } else if (value === undefined) {
      problems.push({
        code: 'manifest.env-missing',
        message: `environment variable ${name} is not set`,
        hint: `export ${name}=… or write \${${name}:-default}`,
      });
    } else if (value === '') {
      problems.push({
        code: 'manifest.env-missing',
        message: `environment variable ${name} is set but empty`,
        hint: `give ${name} a value, or write \${${name}:-default}`,
      });
    } else {
      out += value;
    }
  }
  return { value: out, interpolated, variables, problems };
}
