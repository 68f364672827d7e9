/** The There There per-record rules: every rule, both sides of each limit. */
import { describe, expect, it } from 'vitest';
import { extractInlineImages, type InlineMarker } from '../../../src/attachments/index.js';
import { THERETHERE_RULES } from '../../../src/targets/therethere/mapping.js';
import {
  MAX_ATTACHMENTS_PER_MESSAGE,
  MAX_FILE_BYTES,
  MAX_MESSAGES,
  MAX_NAME_CHARS,
  MAX_SUBJECT_CHARS,
  MAX_TAGS,
  assigneeOf,
  authorOf,
  bodyOf,
  checkAttachment,
  closedAtOf,
  contactOf,
  effectiveMaxFileBytes,
  fileSizeProblem,
  messageCountOf,
  messageTypeOf,
  splitAttachments,
  splitMessages,
  statusOf,
  subjectOf,
  tagsOf,
  timeOf,
  type Reasons,
} from '../../../src/targets/therethere/rules.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

function run<T>(f: (r: Reasons) => T): { value: T; reasons: Reasons } {
  const reasons: Reasons = [];
  const value = f(reasons);
  return { value, reasons };
}

describe('statusOf', () => {
  it('takes the four statuses, upper case too, and lowers them', () => {
    for (const s of ['open', 'waiting', 'closed', 'spam']) {
      expect(run((r) => statusOf(s, r))).toEqual({ value: s, reasons: [] });
      expect(run((r) => statusOf(s.toUpperCase(), r))).toEqual({ value: s, reasons: [] });
    }
    expect(run((r) => statusOf(' Waiting ', r)).value).toBe('waiting');
  });
  it('defaults to closed', () => {
    for (const v of [undefined, null, '']) expect(run((r) => statusOf(v, r))).toEqual({ value: 'closed', reasons: [] });
  });
  it('refuses anything else, naming threads.status', () => {
    for (const v of ['DONE', 'pending', 3, { status: 'open' }]) {
      const { value, reasons } = run((r) => statusOf(v, r));
      expect(value).toBeUndefined();
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(/^threads\.status must be open, waiting, closed or spam/);
    }
  });
});

describe('timeOf', () => {
  it('reads ISO 8601, unix seconds and milliseconds into UTC', () => {
    expect(run((r) => timeOf('2024-01-10T09:00:00+02:00', 'threads.createdAt', r, NOW)).value).toBe('2024-01-10T07:00:00.000Z');
    expect(run((r) => timeOf(1704877200, 'threads.createdAt', r, NOW)).value).toBe('2024-01-10T09:00:00.000Z');
    expect(run((r) => timeOf(1704877200000, 'threads.createdAt', r, NOW)).value).toBe('2024-01-10T09:00:00.000Z');
  });
  it('nothing is fine unless required', () => {
    expect(run((r) => timeOf(undefined, 'threads.createdAt', r, NOW))).toEqual({ value: undefined, reasons: [] });
    const req = run((r) => timeOf(null, 'messages.createdAt', r, NOW, true));
    expect(req.value).toBeUndefined();
    expect(req.reasons[0]).toMatch(/^messages\.createdAt is required/);
  });
  it('the present is allowed, a millisecond later is not', () => {
    expect(run((r) => timeOf(NOW, 'messages.createdAt', r, NOW))).toEqual({ value: new Date(NOW).toISOString(), reasons: [] });
    const future = run((r) => timeOf(NOW + 1, 'messages.createdAt', r, NOW));
    expect(future.value).toBeUndefined();
    expect(future.reasons[0]).toMatch(/^messages\.createdAt is in the future .*There There only imports past times/);
  });
  it('garbage is a reason naming the path', () => {
    const { value, reasons } = run((r) => timeOf('yesterday', 'threads.createdAt', r, NOW));
    expect(value).toBeUndefined();
    expect(reasons[0]).toMatch(/^threads\.createdAt: /);
  });
});

describe('closedAtOf', () => {
  it('is kept (checked) for closed tickets', () => {
    expect(run((r) => closedAtOf('2024-01-12T16:30:00Z', 'closed', r, NOW))).toEqual({ value: '2024-01-12T16:30:00.000Z', reasons: [] });
    expect(run((r) => closedAtOf(undefined, 'closed', r, NOW))).toEqual({ value: undefined, reasons: [] });
    const future = run((r) => closedAtOf('2030-01-01T00:00:00Z', 'closed', r, NOW));
    expect(future.value).toBeUndefined();
    expect(future.reasons[0]).toMatch(/^threads\.closedAt is in the future/);
  });
  it('is dropped without a reason for any other status (There There uses it only when closed)', () => {
    for (const s of ['open', 'waiting', 'spam', undefined] as const) {
      expect(run((r) => closedAtOf('2024-01-12T16:30:00Z', s, r, NOW))).toEqual({ value: undefined, reasons: [] });
      expect(run((r) => closedAtOf('not a time', s, r, NOW))).toEqual({ value: undefined, reasons: [] });
    }
  });
});

describe('subjectOf', () => {
  it('keeps 255 characters as they are', () => {
    const s = 'a'.repeat(MAX_SUBJECT_CHARS);
    expect(run((r) => subjectOf(s, r))).toEqual({ value: { value: s }, reasons: [] });
  });
  it('cuts 256 characters to 255 with a diagnostic, not a reason', () => {
    const { value, reasons } = run((r) => subjectOf('b'.repeat(MAX_SUBJECT_CHARS + 1), r));
    expect(reasons).toEqual([]);
    expect(value?.value).toBe('b'.repeat(255));
    expect(value?.diagnostic).toMatch(/threads\.title is 256 characters; There There takes at most 255/);
  });
  it('counts characters, not UTF-16 units, and never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(255);
    expect(run((r) => subjectOf(emoji, r)).value).toEqual({ value: emoji });
    const cut = run((r) => subjectOf(`${emoji}😀`, r)).value;
    expect(cut?.value).toBe(emoji);
    expect(cut?.diagnostic).toBeDefined();
  });
  it('writes a number out; refuses nothing and blanks', () => {
    expect(run((r) => subjectOf(42, r)).value).toEqual({ value: '42' });
    for (const v of [undefined, null, '', '   ', {}]) {
      const { value, reasons } = run((r) => subjectOf(v, r));
      expect(value).toBeUndefined();
      expect(reasons[0]).toMatch(/^threads\.title is required/);
    }
  });
});

describe('tagsOf', () => {
  it('trims, drops repeats and blanks nothing silently', () => {
    expect(run((r) => tagsOf([' billing', 'refund ', 'billing', null, 7], r))).toEqual({ value: ['billing', 'refund', '7'], reasons: [] });
    expect(run((r) => tagsOf('vip', r))).toEqual({ value: ['vip'], reasons: [] });
    expect(run((r) => tagsOf(undefined, r))).toEqual({ value: [], reasons: [] });
  });
  it('a blank or non-string item is a reason', () => {
    const { value, reasons } = run((r) => tagsOf(['ok', '  ', { name: 'x' }], r));
    expect(value).toEqual(['ok']);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toMatch(/^threads\.labels: /);
  });
  it('a tag name of 255 characters passes, 256 is a reason', () => {
    expect(run((r) => tagsOf(['x'.repeat(MAX_NAME_CHARS)], r)).reasons).toEqual([]);
    const { value, reasons } = run((r) => tagsOf(['ok', 'y'.repeat(MAX_NAME_CHARS + 1)], r));
    expect(value).toEqual(['ok']);
    expect(reasons[0]).toMatch(/^threads\.labels: the tag name .* is longer than 255 characters/);
  });
  it('50 distinct tags pass, 51 are a reason (repeats do not count)', () => {
    const fifty = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
    expect(run((r) => tagsOf([...fifty, 't0', ' t1 '], r))).toEqual({ value: fifty, reasons: [] });
    const { value, reasons } = run((r) => tagsOf([...fifty, 't50'], r));
    expect(value).toHaveLength(51);
    expect(reasons).toEqual(['threads.labels gives 51 tags; There There takes at most 50 per ticket']);
  });
});

describe('assigneeOf', () => {
  it('takes a member email (trimmed) or nothing', () => {
    expect(run((r) => assigneeOf(' sara@acme.com ', r))).toEqual({ value: 'sara@acme.com', reasons: [] });
    expect(run((r) => assigneeOf(null, r))).toEqual({ value: undefined, reasons: [] });
  });
  it('refuses what is not an email', () => {
    for (const v of ['sara', 'u_01H', 12, { email: 'sara@acme.com' }]) {
      const { value, reasons } = run((r) => assigneeOf(v, r));
      expect(value).toBeUndefined();
      expect(reasons[0]).toMatch(/^threads\.assignee must be a There There workspace member's email/);
    }
  });
});

describe('contactOf', () => {
  it('an email and an optional name', () => {
    expect(run((r) => contactOf({ email: ' john@customer.com', fullName: ' John Doe ' }, 'threads.customer', r)).value).toEqual({
      email: 'john@customer.com',
      name: 'John Doe',
    });
    expect(run((r) => contactOf({ email: 'john@customer.com' }, 'threads.customer', r)).value).toEqual({ email: 'john@customer.com' });
  });
  it('a name longer than 255 characters is cut', () => {
    expect(run((r) => contactOf({ email: 'j@c.com', fullName: 'n'.repeat(300) }, 'threads.customer', r)).value).toEqual({ email: 'j@c.com', name: 'n'.repeat(255) });
    expect(run((r) => authorOf({ email: 'a@b.c', name: 'm'.repeat(256) }, 'note', r)).value).toEqual({ email: 'a@b.c', name: 'm'.repeat(255) });
  });
  it('no email, or a name that is not a string, is a reason', () => {
    expect(run((r) => contactOf({ fullName: 'John' }, 'threads.customer', r)).reasons[0]).toMatch(/^threads\.customer\.email is required/);
    expect(run((r) => contactOf({ email: 'j@c.com', fullName: 3 }, 'threads.customer', r)).reasons[0]).toMatch(/^threads\.customer\.fullName must be a string/);
  });
});

describe('messageTypeOf', () => {
  it('inbound, outbound, note; upper case accepted', () => {
    for (const t of ['inbound', 'outbound', 'note']) {
      expect(run((r) => messageTypeOf(t, false, r)).value).toBe(t);
      expect(run((r) => messageTypeOf(t.toUpperCase(), false, r)).value).toBe(t);
    }
  });
  it('defaults by the author: outbound with one, inbound without', () => {
    expect(run((r) => messageTypeOf(undefined, true, r)).value).toBe('outbound');
    expect(run((r) => messageTypeOf(null, false, r)).value).toBe('inbound');
  });
  it('refuses anything else', () => {
    const { value, reasons } = run((r) => messageTypeOf('reply', false, r));
    expect(value).toBeUndefined();
    expect(reasons[0]).toMatch(/^messages\.type must be inbound, outbound or note/);
  });
});

describe('authorOf', () => {
  it('outbound and note: an email or {email, name}', () => {
    for (const t of ['outbound', 'note'] as const) {
      expect(run((r) => authorOf('sara@old.com', t, r))).toEqual({ value: { email: 'sara@old.com' }, reasons: [] });
      expect(run((r) => authorOf({ email: 'sara@old.com', name: 'Sara (Support)' }, t, r)).value).toEqual({ email: 'sara@old.com', name: 'Sara (Support)' });
      expect(run((r) => authorOf({ email: 'sara@old.com', name: '' }, t, r)).value).toEqual({ email: 'sara@old.com' });
    }
  });
  it('outbound and note need one (else the token owner would be named)', () => {
    for (const t of ['outbound', 'note'] as const) {
      const { value, reasons } = run((r) => authorOf(undefined, t, r));
      expect(value).toBeUndefined();
      expect(reasons[0]).toMatch(/^messages\.author is required for (outbound|note) messages/);
    }
  });
  it('inbound: null is the contact; an email or {email, name} is accepted', () => {
    expect(run((r) => authorOf(null, 'inbound', r))).toEqual({ value: null, reasons: [] });
    expect(run((r) => authorOf(undefined, 'inbound', r))).toEqual({ value: null, reasons: [] });
    expect(run((r) => authorOf('john@customer.com', 'inbound', r)).value).toEqual({ email: 'john@customer.com' });
    expect(run((r) => authorOf({ email: 'john@customer.com', name: 'John' }, 'inbound', r)).value).toEqual({ email: 'john@customer.com', name: 'John' });
  });
  it('refuses user ids, bad emails and bad names', () => {
    for (const v of ['u_01HX', { name: 'Sara' }, { email: 'nope' }, ['a@b.c'], 5]) {
      const { value, reasons } = run((r) => authorOf(v, 'outbound', r));
      expect(value).toBeUndefined();
      expect(reasons[0]).toMatch(/^messages\.author must be an email or \{email, name\}/);
    }
    expect(run((r) => authorOf({ email: 'a@b.c', name: 3 }, 'note', r)).reasons[0]).toMatch(/^messages\.author\.name must be a string/);
  });
});

describe('bodyOf', () => {
  it('a non-empty string', () => {
    expect(run((r) => bodyOf('<p>hi</p>', r)).value).toBe('<p>hi</p>');
    expect(run((r) => bodyOf('', r)).reasons[0]).toMatch(/^messages\.text is required/);
  });
});

describe('messages: 1 to 200', () => {
  it('no message is a reason; one is fine', () => {
    expect(run((r) => messageCountOf(0, r))).toEqual({ value: false, reasons: [expect.stringMatching(/^messages: .*at least 1 message/)] });
    expect(run((r) => messageCountOf(1, r))).toEqual({ value: true, reasons: [] });
    expect(run((r) => messageCountOf(201, r))).toEqual({ value: true, reasons: [] });
  });
  it('splits into the first 200 and the rest', () => {
    expect(MAX_MESSAGES).toBe(200);
    const list = Array.from({ length: 450 }, (_, i) => i);
    const exact = splitMessages(list.slice(0, 200));
    expect(exact.first).toHaveLength(200);
    expect(exact.rest).toEqual([]);
    const over = splitMessages(list.slice(0, 201));
    expect(over.first).toEqual(list.slice(0, 200));
    expect(over.rest).toEqual([200]);
    const many = splitMessages(list);
    expect(many.first).toEqual(list.slice(0, 200));
    expect(many.rest).toEqual(list.slice(200));
    expect(splitMessages([])).toEqual({ first: [], rest: [] });
  });
});

describe('attachments: 10 per message, 25 MB per file', () => {
  const spec = { url: 'https://old.example/f/1', fileName: 'invoice.pdf', size: 1000 };
  it('the 10th file passes, the 11th is too_many', () => {
    expect(MAX_ATTACHMENTS_PER_MESSAGE).toBe(10);
    expect(checkAttachment(spec, { index: 9 })).toBeNull();
    expect(checkAttachment(spec, { index: 10 })).toEqual({ code: 'too_many', message: 'a There There message carries at most 10 files' });
    const files = Array.from({ length: 12 }, (_, i) => i);
    expect(splitAttachments(files)).toEqual({ keep: files.slice(0, 10), over: [10, 11] });
    expect(splitAttachments(files.slice(0, 10))).toEqual({ keep: files.slice(0, 10), over: [] });
  });
  it('exactly 25 MB passes, one byte more is too_large', () => {
    expect(checkAttachment({ ...spec, size: MAX_FILE_BYTES })).toBeNull();
    const r = checkAttachment({ ...spec, size: MAX_FILE_BYTES + 1 });
    expect(r?.code).toBe('too_large');
    expect(r?.message).toMatch(/more than There There's limit \(25 MB\)/);
    expect(fileSizeProblem(MAX_FILE_BYTES)).toBeNull();
  });
  it('a smaller attachments.maxBytes bites first and is named', () => {
    expect(effectiveMaxFileBytes(1_000_000)).toBe(1_000_000);
    expect(effectiveMaxFileBytes(100_000_000)).toBe(MAX_FILE_BYTES);
    expect(checkAttachment({ ...spec, size: 1_000_000 }, { maxBytes: 1_000_000 })).toBeNull();
    expect(checkAttachment({ ...spec, size: 1_000_001 }, { maxBytes: 1_000_000 })?.message).toMatch(/attachments\.maxBytes \(1 MB\)/);
  });
  it('a missing size hint passes (the bytes decide); a bad source does not', () => {
    expect(checkAttachment({ url: spec.url, fileName: 'x.bin' })).toBeNull();
    expect(checkAttachment({ fileName: 'x.bin' })).toEqual({ code: 'bad_source', message: 'the attachment has neither a url nor a path' });
    expect(checkAttachment({ path: '../x', fileName: 'x' }, { manifestDir: '/m' })?.code).toBe('bad_source');
  });
  it("Plain's banned extensions are not There There's", () => {
    expect(checkAttachment({ ...spec, fileName: 'setup.exe' })).toBeNull();
  });
});

describe('inline images (THERETHERE_RULES.inlineImage)', () => {
  const marker: InlineMarker = (a, i, source) => THERETHERE_RULES.inlineImage(a, i, source);
  const files = [{ fileName: 'shot.png', contentId: 'shot' }];
  it('keeps the export’s <img> tag, every attribute but src, pointing at cid:<the file’s contentId>', () => {
    const r = extractInlineImages('<p><img class="x" src="cid:shot" alt="The screen" width="300"></p>', files, marker);
    expect(r.text).toBe('<p><img class="x" src="cid:plain-migrate-inline-0" alt="The screen" width="300"></p>');
    expect(r.attachments).toEqual([{ fileName: 'shot.png', contentId: 'plain-migrate-inline-0', inline: true }]);
  });
  it('a markdown image becomes a tag with its alt text, or the file name without one', () => {
    expect(extractInlineImages('![The "screen"](cid:shot)', files, marker).text).toBe('<img src="cid:plain-migrate-inline-0" alt="The &quot;screen&quot;">');
    expect(extractInlineImages('![](cid:shot)', files, marker).text).toBe('<img src="cid:plain-migrate-inline-0" alt="shot.png">');
  });
});
