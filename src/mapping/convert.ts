/** Conversions bound into every expression: $htmlToText, $htmlToMarkdown, $toISO. */
import { createRequire } from 'node:module';
import { turndownHtml } from './markdown.js';

type HtmlToText = typeof import('html-to-text').convert;
let htmlToTextConvert: HtmlToText | undefined;
/**
 * html-to-text, loaded the first time $htmlToText runs (its CommonJS build, as a JSONata function is
 * synchronous), not with every command of the CLI (about 0.07 s).
 */
function htmlToTextLib(): HtmlToText {
  htmlToTextConvert ??= (createRequire(import.meta.url)('html-to-text') as typeof import('html-to-text')).convert;
  return htmlToTextConvert;
}

export function htmlToText(html: unknown): string | undefined {
  if (html === undefined || html === null) return undefined;
  return htmlToTextLib()(String(html), {
    wordwrap: false,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
    ],
  }).trim();
}

export function htmlToMarkdown(html: unknown): string | undefined {
  if (html === undefined || html === null) return undefined;
  return turndownHtml(String(html)).trim();
}

/** ISO 8601 with an offset or Z (date-only allowed), as accepted by $toISO and by time fields. */
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;
const NUMERIC_RE = /^-?\d+(?:\.\d+)?$/;

/** Date.parse rolls 2023-02-31 over to March 3rd: refuse a day, hour or minute that does not exist. */
function checkCalendar(s: string): void {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/i.exec(s)!;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  const bad =
    mo < 1 || mo > 12 || d < 1 || d > days || (m[4] !== undefined && Number(m[4]) > 23) || (m[5] !== undefined && Number(m[5]) > 59) || (m[6] !== undefined && Number(m[6]) > 60);
  if (bad) throw new Error(`$toISO cannot read ${JSON.stringify(s)} as a time: there is no such date or time`);
}

/** The value of two ASCII digits at s[i], or -1. */
function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * Whether a string is already what toISO gives (`YYYY-MM-DDTHH:MM:SS.sssZ`, a real date and time), so
 * it can be returned as it is: most exports write their times so, and parsing them was a few percent
 * of a plan. Anything else (a leap second included) takes the general path.
 */
function isCanonicalUtc(s: string): boolean {
  if (s.length !== 24 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90) {
    return false;
  }
  const century = twoDigits(s, 0);
  const yy = twoDigits(s, 2);
  const mo = twoDigits(s, 5);
  const d = twoDigits(s, 8);
  const h = twoDigits(s, 11);
  const mi = twoDigits(s, 14);
  const sec = twoDigits(s, 17);
  const ms0 = s.charCodeAt(20) - 48;
  const ms = twoDigits(s, 21);
  if (century < 0 || yy < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59 || ms0 < 0 || ms0 > 9 || ms < 0) return false;
  const y = century * 100 + yy;
  // The general path checks a day with Date.UTC, which reads years 0-99 as 1900-1999: leave those to it.
  if (y < 100) return false;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = mo === 2 ? (leap ? 29 : 28) : mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
  return d <= days;
}

/**
 * ISO 8601 strings with any offset, unix seconds or unix milliseconds → ISO 8601 UTC (`…Z`).
 * Numbers below 1e11 are seconds (1e11 s is the year 5138), larger ones milliseconds.
 * Returns undefined for undefined/null; throws on anything it cannot read.
 */
export function toISO(t: unknown): string | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  if (typeof t === 'string' && isCanonicalUtc(t)) return t;
  let ms: number;
  if (typeof t === 'number' || (typeof t === 'string' && NUMERIC_RE.test(t.trim()))) {
    const n = Number(t);
    ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  } else if (typeof t === 'string' && ISO_RE.test(t.trim())) {
    checkCalendar(t.trim());
    let s = t.trim().replace(' ', 'T');
    // A time without an offset is read as UTC, never as the machine's local time.
    if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i.test(s)) s += 'Z';
    ms = Date.parse(s);
  } else {
    throw new Error(`$toISO cannot read ${JSON.stringify(t)} as a time (expected ISO 8601, unix seconds or unix milliseconds)`);
  }
  if (!Number.isFinite(ms)) throw new Error(`$toISO cannot read ${JSON.stringify(t)} as a time`);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) throw new Error(`$toISO cannot read ${JSON.stringify(t)} as a time`);
  return d.toISOString();
}
