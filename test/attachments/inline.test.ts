/** extractInlineImages: inline images in message text become attachments with a marker in the text. */
import { describe, expect, test } from 'vitest';
import { extractInlineImages, type AttachmentSpec, type InlineMarker } from '../../src/attachments/index.js';

const SHOT = 'https://acme.zendesk.com/attachments/token/abc/?name=shot.png';

describe('markdown images', () => {
  test('an image whose src is an attachment url marks it inline and leaves a marker', () => {
    const atts: AttachmentSpec[] = [{ url: SHOT, fileName: 'shot.png', size: 10 }];
    const r = extractInlineImages(`Look:\n\n![screenshot](${SHOT} "The error")\n\nThanks`, atts);
    expect(r.text).toBe('Look:\n\n[image: shot.png]\n\nThanks');
    expect(r.attachments).toEqual([{ url: SHOT, fileName: 'shot.png', size: 10, inline: true }]);
    expect(r.problems).toEqual([]);
    expect(atts[0]?.inline).toBeUndefined(); // input not mutated
  });

  test('angle-bracket destinations and titles in single quotes or parentheses', () => {
    const atts: AttachmentSpec[] = [{ url: 'https://x.example/a b.png', fileName: 'a b.png' }];
    expect(extractInlineImages("![x](<https://x.example/a b.png> 'title')", atts).text).toBe('[image: a b.png]');
    expect(extractInlineImages('![x](https://x.example/c.png (title))', []).text).toBe('[image: c.png]');
  });

  test('a different query string is a different file; a trailing slash alone is not', () => {
    const atts: AttachmentSpec[] = [{ url: 'https://x.example/files/1/', fileName: 'one.png' }];
    const r = extractInlineImages('![](https://x.example/files/1) ![](https://x.example/files/1/?v=2)', atts);
    expect(r.text).toBe('[image: one.png] [image: 1]');
    expect(r.attachments).toEqual([
      { url: 'https://x.example/files/1/', fileName: 'one.png', inline: true },
      { url: 'https://x.example/files/1/?v=2', fileName: '1', inline: true },
    ]);
  });

  test('images in code are left alone', () => {
    const text = 'Use `![x](https://x.example/a.png)` or\n\n```\n![y](https://x.example/b.png)\n```\n\n![z](https://x.example/c.png)';
    const r = extractInlineImages(text, []);
    expect(r.text).toBe('Use `![x](https://x.example/a.png)` or\n\n```\n![y](https://x.example/b.png)\n```\n\n[image: c.png]');
    expect(r.attachments.map((a) => a.url)).toEqual(['https://x.example/c.png']);
  });

  test('a plain link is not an image', () => {
    const r = extractInlineImages('[the doc](https://x.example/doc.pdf)', []);
    expect(r).toEqual({ text: '[the doc](https://x.example/doc.pdf)', attachments: [], problems: [] });
  });
});

describe('raw <img> tags', () => {
  test('src in double, single or no quotes; entities decoded before matching', () => {
    const atts: AttachmentSpec[] = [{ url: 'https://x.example/i?a=1&b=2', fileName: 'chart.png' }];
    const r = extractInlineImages(`<p>a <img alt="x > y" src="https://x.example/i?a=1&amp;b=2" width=10> b <IMG src='https://x.example/j.gif'/> <img src=https://x.example/k.jpg></p>`, atts);
    expect(r.text).toBe('<p>a [image: chart.png] b [image: j.gif] [image: k.jpg]</p>');
    expect(r.attachments).toEqual([
      { url: 'https://x.example/i?a=1&b=2', fileName: 'chart.png', inline: true },
      { url: 'https://x.example/j.gif', fileName: 'j.gif', inline: true },
      { url: 'https://x.example/k.jpg', fileName: 'k.jpg', inline: true },
    ]);
  });

  test('attributes are read like HTML: src inside another quoted value does not count, quotes only after =', () => {
    const r = extractInlineImages(`<img alt="see src=https://evil.example/x.png" src="https://x.example/a.png"> <img alt=don't src=https://x.example/b.png>`, []);
    expect(r.text).toBe('[image: a.png] [image: b.png]');
    expect(r.attachments.map((a) => a.url)).toEqual(['https://x.example/a.png', 'https://x.example/b.png']);
  });

  test('an <img that never closes is left alone, and markdown images after it still count', () => {
    const r = extractInlineImages('<img src="https://x.example/a.png" ![b](https://x.example/b.png)', []);
    expect(r.text).toBe('<img src="https://x.example/a.png" [image: b.png]');
    expect(r.attachments.map((a) => a.url)).toEqual(['https://x.example/b.png']);
  });

  test('pathological input stays fast (no quadratic scanning)', () => {
    const t0 = Date.now();
    for (const text of ['<img src="a" '.repeat(20_000), '<img a="'.repeat(20_000), '![a'.repeat(50_000), '`a'.repeat(50_000)]) extractInlineImages(text, []);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  test('a marker is given the alt text, and for a tag the same tag with another src (every other attribute kept)', () => {
    const seen: Array<{ alt?: string; swapped?: string }> = [];
    const marker: InlineMarker = (a, i, source) => {
      seen.push({ ...(source.alt !== undefined ? { alt: source.alt } : {}), ...(source.withSrc ? { swapped: source.withSrc(`cid:n${i}`) } : {}) });
      return { text: source.withSrc ? source.withSrc(`cid:n${i}`) : `[${a.fileName}]`, contentId: `n${i}` };
    };
    const text = `<p><img data-src="x" width=40 src='https://x.example/a.png' alt="A &amp; B" style="border:0"/> ![md alt](https://x.example/b.png) <img src=https://x.example/c.png></p>`;
    const r = extractInlineImages(text, [], marker);
    expect(seen).toEqual([
      { alt: 'A & B', swapped: `<img data-src="x" width=40 src="cid:n0" alt="A &amp; B" style="border:0"/>` },
      { alt: 'md alt' },
      { swapped: '<img src="cid:n2">' },
    ]);
    expect(r.text).toBe(`<p><img data-src="x" width=40 src="cid:n0" alt="A &amp; B" style="border:0"/> [b.png] <img src="cid:n2"></p>`);
    expect(r.attachments.map((a) => a.contentId)).toEqual(['n0', 'n1', 'n2']);
  });

  test('data-src is not src; an img without src stays', () => {
    const text = '<img data-src="https://x.example/a.png" alt="x">';
    expect(extractInlineImages(text, [])).toEqual({ text, attachments: [], problems: [] });
  });
});

describe('cid: images', () => {
  const atts: AttachmentSpec[] = [
    { path: 'mail/logo.png', fileName: 'logo.png' },
    { url: 'https://x.example/2', fileName: 'photo.jpg', contentId: '<part1.abc@mail.example>' },
  ];

  test('by fileName and by contentId (angle brackets and percent-encoding ignored)', () => {
    const r = extractInlineImages('<img src="cid:logo.png"> ![p](cid:part1.abc%40mail.example)', atts);
    expect(r.text).toBe('[image: logo.png] [image: photo.jpg]');
    expect(r.attachments.map((a) => a.inline)).toEqual([true, true]);
    expect(r.problems).toEqual([]);
  });

  test('contentId wins over a fileName match', () => {
    const r = extractInlineImages('<img src="cid:x">', [
      { url: 'https://x.example/1', fileName: 'x' },
      { url: 'https://x.example/2', fileName: 'real.png', contentId: 'x' },
    ]);
    expect(r.text).toBe('[image: real.png]');
    expect(r.attachments.map((a) => a.inline ?? false)).toEqual([false, true]);
  });

  test('an unknown cid becomes "(not found)" and a problem', () => {
    const r = extractInlineImages('before <img src="cid:ii_lost123"> after', atts);
    expect(r.text).toBe('before [image: ii_lost123 (not found)] after');
    expect(r.attachments).toEqual(atts);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain('cid:ii_lost123');
  });
});

describe('new attachments from unmatched http(s) images', () => {
  test('the file name is the last path segment, decoded; "image" when there is none', () => {
    const r = extractInlineImages('![a](https://cdn.example/u/My%20Chart.png?sig=1) ![b](https://cdn.example/) ![c](https://cdn.example/a%2F..%2Fb.png)', []);
    expect(r.text).toBe('[image: My Chart.png] [image: image] [image: a_.._b.png]');
    expect(r.attachments).toEqual([
      { url: 'https://cdn.example/u/My%20Chart.png?sig=1', fileName: 'My Chart.png', inline: true },
      { url: 'https://cdn.example/', fileName: 'image', inline: true },
      { url: 'https://cdn.example/a%2F..%2Fb.png', fileName: 'a_.._b.png', inline: true },
    ]);
  });

  test('the same image twice (markdown and html) is one attachment; existing ones keep their order, new ones follow', () => {
    const atts: AttachmentSpec[] = [
      { url: 'https://x.example/b.pdf', fileName: 'b.pdf' },
      { url: 'https://x.example/a.png', fileName: 'a.png' },
    ];
    const text = '![](https://cdn.example/n.png) ![](https://x.example/a.png) <img src="https://cdn.example/n.png"> ![](https://x.example/a.png)';
    const r = extractInlineImages(text, atts);
    expect(r.text).toBe('[image: n.png] [image: a.png] [image: n.png] [image: a.png]');
    expect(r.attachments).toEqual([
      { url: 'https://x.example/b.pdf', fileName: 'b.pdf' },
      { url: 'https://x.example/a.png', fileName: 'a.png', inline: true },
      { url: 'https://cdn.example/n.png', fileName: 'n.png', inline: true },
    ]);
  });
});

describe('left alone', () => {
  test('data: URIs', () => {
    const text = '![x](data:image/png;base64,iVBORw0KGgo=) <img src="data:image/gif;base64,R0lGOD">';
    expect(extractInlineImages(text, [])).toEqual({ text, attachments: [], problems: [] });
  });

  test('relative sources stay, with a problem that drops the query string', () => {
    const r = extractInlineImages('<img src="/images/a.png?token=SECRET">', []);
    expect(r.text).toBe('<img src="/images/a.png?token=SECRET">');
    expect(r.attachments).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toContain('/images/a.png');
    expect(r.problems[0]).not.toContain('SECRET');
  });

  test('text without images is unchanged', () => {
    const atts: AttachmentSpec[] = [{ url: 'https://x.example/a.png', fileName: 'a.png' }];
    expect(extractInlineImages('No images! [x] (y)', atts)).toEqual({ text: 'No images! [x] (y)', attachments: atts, problems: [] });
  });
});
