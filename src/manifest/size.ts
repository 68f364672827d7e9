/**
 * Sizes: `64MB`, `512 KiB`, `1.5GB`, `100B`, or a number of bytes. KB/MB/GB are powers of 1000, KiB/MiB/GiB
 * powers of 1024; unit letters are case-insensitive. Used by `sources.<name>.maxRecordBytes`.
 */

/** The default `maxRecordBytes`: 64 MiB, far above any real ticket, far below what 512 MB of memory holds a few copies of. */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;
/**
 * The largest `maxRecordBytes`: 512,000,000 bytes. A record is decoded into one string, and V8's strings
 * stop at 2^29 - 24 (about 536.8 million) characters.
 */
export const MAX_RECORD_BYTES_CEILING = 512_000_000;

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmg])(i?))?b\s*$/i;
const POWER: Readonly<Record<string, number>> = { k: 1, m: 2, g: 3 };

/** Bytes (rounded down), or undefined when `v` is not a size. Zero and negatives are not sizes. */
export function parseSize(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v !== 'string') return undefined;
  else if (/^\s*\d+\s*$/.test(v)) n = Number(v.trim());
  else {
    const m = SIZE.exec(v);
    if (!m) return undefined;
    const unit = m[2]?.toLowerCase();
    const base = m[3] ? 1024 : 1000;
    n = Number(m[1]) * (unit ? base ** (POWER[unit] ?? 0) : 1);
  }
  if (!Number.isFinite(n)) return undefined;
  const bytes = Math.floor(n);
  return bytes > 0 ? bytes : undefined;
}

/** Whether `v` has the form of a size (zero included): the schema's pattern. */
export function isSizeText(v: string): boolean {
  return SIZE.test(v) || /^\s*\d+\s*$/.test(v);
}
