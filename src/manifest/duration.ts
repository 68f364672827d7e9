/** Durations: `30s`, `1500ms`, `2m`, `1h`, `1m30s`, or a number of milliseconds. */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const WHOLE = /^\s*(?:\d+(?:\.\d+)?\s*(?:ms|s|m|h)\s*)+$/;
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g;

/** Milliseconds (rounded), or undefined when `v` is not a duration. Zero and negatives are not durations. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.round(v) : undefined;
  if (typeof v !== 'string') return undefined;
  if (/^\s*\d+\s*$/.test(v)) {
    const n = Number(v.trim());
    return n > 0 ? n : undefined;
  }
  if (!WHOLE.test(v)) return undefined;
  let total = 0;
  for (const m of v.matchAll(PART)) {
    const unit = UNIT_MS[m[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
  }
  const ms = Math.round(total);
  return ms > 0 ? ms : undefined;
}

/** Whether `v` has the form of a duration (zero included): the schema's pattern. */
export function isDurationText(v: string): boolean {
  return WHOLE.test(v) || /^\s*\d+\s*$/.test(v);
}
