/** How values read in `validate --sample`'s output: in a comment, on one line, counted, or copied for display. */
import { show } from '../../mapping/rules.js';

export function ordinal(n: number): string {
  const t = n % 100;
  return `${n}${t >= 11 && t <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A value in a comment: strings as they are, anything else as JSON. */
export function fmt(v: unknown): string {
  if (typeof v === 'string') return v.length > 120 ? `${JSON.stringify(v.slice(0, 117))}...` : JSON.stringify(v);
  return show(v);
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/** JSON-safe copy of an expression's result (functions and undefined members dropped, as JSON would). */
export function jsonSafe(v: unknown): unknown {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? '[function]' : x));
    return s === undefined ? null : (JSON.parse(s) as unknown);
  } catch {
    return String(v);
  }
}
