import { describe, expect, it } from 'vitest';
import { htmlToMarkdown, htmlToText, toISO } from '../../src/mapping/convert.js';

describe('$toISO', () => {
  it('reads ISO 8601 with any offset, unix seconds and milliseconds', () => {
    expect(toISO('2024-06-15T12:32:00+02:00')).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO('2024-06-15T10:32:00Z')).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO('2024-06-15 10:32:00')).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO(1718447520)).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO('1718447520')).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO(1718447520000)).toBe('2024-06-15T10:32:00.000Z');
    expect(toISO(1701292649.333)).toBe('2023-11-29T21:17:29.333Z');
    expect(toISO(null)).toBeUndefined();
  });
  it('refuses what it cannot read', () => {
    expect(() => toISO('last tuesday')).toThrow(/cannot read "last tuesday"/);
    expect(() => toISO({})).toThrow();
    expect(() => toISO('2023-02-31T10:00:00Z')).toThrow(/no such date/);
    expect(() => toISO('2024-13-01')).toThrow(/no such date/);
    expect(() => toISO('2024-01-01T24:30:00Z')).toThrow(/no such date/);
    expect(toISO('2024-02-29T10:00:00Z')).toBe('2024-02-29T10:00:00.000Z');
  });
  it('gives a time already in its own form (…T…sssZ) what the general path gives, or the same error', () => {
    // A leading space keeps a string off the short path for a canonical time; the general path trims it.
    const outcome = (s: string): string => {
      try {
        return `ok ${toISO(s)}`;
      } catch (e) {
        return `error ${(e as Error).message.replace(/" ?/g, '"')}`;
      }
    };
    const cases: string[] = [];
    const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
    for (const y of [0, 4, 99, 100, 1900, 1970, 2000, 2023, 2024, 2100, 9999])
      for (const mo of [0, 1, 2, 4, 12, 13])
        for (const d of [0, 1, 28, 29, 30, 31, 32]) cases.push(`${pad(y, 4)}-${pad(mo)}-${pad(d)}T12:34:56.789Z`);
    for (const hms of ['00:00:00.000', '23:59:59.999', '24:00:00.000', '12:60:00.000', '12:00:60.000', '12:00:59.99x', '1a:00:00.000'])
      cases.push(`2024-03-10T${hms}Z`);
    cases.push('2024-03-10T12:00:00.000z', '2024-03-10 12:00:00.000Z', '2024-03-10T12:00:00,000Z', '+02024-03-10T12:00:00.000', '２024-03-10T12:00:00.000Z');
    let short = 0;
    for (const s of cases) {
      expect(outcome(s), s).toBe(outcome(` ${s}`));
      if (outcome(s) === `ok ${s}`) short++;
    }
    expect(short).toBeGreaterThan(100);
  });
});

describe('HTML conversion', () => {
  const html = '<p>Hello <b>Ann</b>,</p><ul><li>one</li><li>two &amp; three</li></ul><p><a href="https://x.test/a">link</a><br>bye</p>';
  it('$htmlToMarkdown keeps structure', () => {
    const md = htmlToMarkdown(html)!;
    expect(md).toContain('Hello **Ann**,');
    expect(md).toMatch(/- +one/);
    expect(md).toContain('two & three');
    expect(md).toContain('[link](https://x.test/a)');
  });
  it('$htmlToText gives plain text', () => {
    const t = htmlToText(html)!;
    expect(t).toContain('Hello Ann,');
    expect(t).toContain('two & three');
    expect(t).not.toContain('<');
  });
});
