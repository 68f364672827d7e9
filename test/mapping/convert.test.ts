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
