/** The plan-time attachment policy, and that its constants are the emulator's. */
import { describe, expect, test } from 'vitest';
import {
  AttachmentError,
  BANNED_EXTENSIONS,
  DEFAULT_MAX_BYTES,
  TYPE_MAX_BYTES,
  attachmentTypeFor,
  checkAttachment,
  effectiveMaxBytes,
  extensionOf,
  skipNote,
  withSkipNotes,
} from '../../src/attachments/index.js';
import * as emulator from '../../src/emulators/plain/rules/attachments.js';

describe('constants agree with the emulator', () => {
  test('banned extensions', () => {
    expect([...BANNED_EXTENSIONS].sort()).toEqual([...emulator.BANNED_EXTENSIONS].sort());
    expect(BANNED_EXTENSIONS.size).toBe(31);
  });
  test('per-type limits of the two types import uses', () => {
    expect(TYPE_MAX_BYTES.CUSTOM_TIMELINE_ENTRY).toBe(emulator.MAX_BYTES.CUSTOM_TIMELINE_ENTRY);
    expect(TYPE_MAX_BYTES.NOTE).toBe(emulator.MAX_BYTES.NOTE);
    expect(DEFAULT_MAX_BYTES).toBe(6_000_000);
  });
  test.each(['a.EXE', 'archive.tar.gz', '.exe', 'exe', 'name.', 'x.Bat', 'report.pdf', 'a.b.c.vbs'])('extensionOf(%j) as the emulator reads it', (name) => {
    expect(extensionOf(name)).toBe(emulator.extensionOf(name));
  });
});

describe('attachmentTypeFor', () => {
  test('INBOUND and OUTBOUND use CUSTOM_TIMELINE_ENTRY, NOTE uses NOTE', () => {
    expect(attachmentTypeFor('INBOUND')).toBe('CUSTOM_TIMELINE_ENTRY');
    expect(attachmentTypeFor('OUTBOUND')).toBe('CUSTOM_TIMELINE_ENTRY');
    expect(attachmentTypeFor('NOTE')).toBe('NOTE');
  });
});

describe('checkAttachment', () => {
  const url = 'https://acme.zendesk.com/attachments/1';

  test('an ordinary file passes', () => {
    expect(checkAttachment({ url, fileName: 'invoice.pdf', size: 1000 }, { maxBytes: 6_000_000, messageType: 'INBOUND' })).toBeNull();
    expect(checkAttachment({ path: 'files/a.png', fileName: 'a.png' }, { messageType: 'NOTE' })).toBeNull();
  });

  test.each(['invoice.exe', 'SETUP.MSI', 'macro.vbs', 'x.tar.bat'])('%s is a banned extension', (fileName) => {
    const r = checkAttachment({ url, fileName }, { messageType: 'INBOUND' });
    expect(r?.code).toBe('banned_extension');
    expect(r?.message).toBe(`.${extensionOf(fileName)} files are not allowed by Plain`);
  });

  test('names without a real extension are not banned', () => {
    expect(checkAttachment({ url, fileName: 'exe' }, { messageType: 'INBOUND' })).toBeNull();
    expect(checkAttachment({ url, fileName: 'notes.exe.txt' }, { messageType: 'INBOUND' })).toBeNull();
  });

  test('INBOUND/OUTBOUND: 6 MB is the ceiling even when maxBytes is larger', () => {
    const o = { maxBytes: 40_000_000, messageType: 'OUTBOUND' as const };
    expect(checkAttachment({ url, fileName: 'a.zip', size: 6_000_000 }, o)).toBeNull();
    const r = checkAttachment({ url, fileName: 'a.zip', size: 6_000_001 }, o);
    expect(r?.code).toBe('too_large');
    expect(r?.message).toContain("Plain's limit");
    expect(r?.message).toContain('6 MB');
  });

  test('NOTE: up to 50 MB when maxBytes allows it, else maxBytes', () => {
    expect(checkAttachment({ url, fileName: 'a.zip', size: 20_000_000 }, { maxBytes: 60_000_000, messageType: 'NOTE' })).toBeNull();
    expect(checkAttachment({ url, fileName: 'a.zip', size: 50_000_001 }, { maxBytes: 60_000_000, messageType: 'NOTE' })?.code).toBe('too_large');
    const r = checkAttachment({ url, fileName: 'a.zip', size: 7_200_000 }, { maxBytes: 6_000_000, messageType: 'NOTE' });
    expect(r).toEqual({ code: 'too_large', message: 'the file is 7.2 MB, more than attachments.maxBytes (6 MB)' });
    expect(effectiveMaxBytes('NOTE', 6_000_000)).toBe(6_000_000);
    expect(effectiveMaxBytes('NOTE', 90_000_000)).toBe(50_000_000);
    expect(effectiveMaxBytes('INBOUND', 1_000)).toBe(1_000);
  });

  test('maxBytes defaults to 6 MB', () => {
    expect(checkAttachment({ url, fileName: 'a.zip', size: 6_000_001 }, { messageType: 'NOTE' })?.code).toBe('too_large');
  });

  test('a missing or unusable size hint passes (the bytes decide at fetch)', () => {
    for (const size of [undefined, Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      expect(checkAttachment({ url, fileName: 'a.zip', ...(size === undefined ? {} : { size }) }, { messageType: 'INBOUND' })).toBeNull();
    }
  });

  test.each([
    [{ fileName: 'a.png' }, 'neither'],
    [{ url, path: 'a.png', fileName: 'a.png' }, 'both'],
    [{ url: 'ftp://host/a.png', fileName: 'a.png' }, 'not http(s)'],
    [{ url: 'not a url', fileName: 'a.png' }, 'not a valid URL'],
    [{ url: 'https://u:p@host/a.png', fileName: 'a.png' }, 'credentials'],
    [{ url, fileName: '  ' }, 'no file name'],
  ])('bad source %j', (spec, words) => {
    const r = checkAttachment(spec, { messageType: 'INBOUND' });
    expect(r?.code).toBe('bad_source');
    expect(r?.message).toContain(words);
  });

  test('with manifestDir, a path that leaves it is a bad source', () => {
    const o = { messageType: 'INBOUND' as const, manifestDir: '/data/migration' };
    expect(checkAttachment({ path: 'files/a.png', fileName: 'a.png' }, o)).toBeNull();
    expect(checkAttachment({ path: '../secrets/a.png', fileName: 'a.png' }, o)?.code).toBe('bad_source');
    expect(checkAttachment({ path: '/etc/passwd', fileName: 'passwd' }, o)?.code).toBe('bad_source');
  });

  test('the source is checked before the extension, the extension before the size', () => {
    expect(checkAttachment({ fileName: 'a.exe', size: 1e9 }, { messageType: 'INBOUND' })?.code).toBe('bad_source');
    expect(checkAttachment({ url, fileName: 'a.exe', size: 1e9 }, { messageType: 'INBOUND' })?.code).toBe('banned_extension');
  });
});

describe('skipNote', () => {
  test('names the file and the reason', () => {
    const r = checkAttachment({ url: 'https://x.example/a', fileName: 'invoice.exe' }, { messageType: 'INBOUND' });
    expect(r).not.toBeNull();
    expect(skipNote('invoice.exe', r!)).toBe('[Attachment not migrated: invoice.exe — .exe files are not allowed by Plain]');
    expect(skipNote('invoice.exe', '.exe files are not allowed by Plain')).toBe('[Attachment not migrated: invoice.exe — .exe files are not allowed by Plain]');
  });

  test('an AttachmentError is described by its code, never by its message (which names a URL)', () => {
    const e = new AttachmentError('not_found', 'GET https://acme.zendesk.com/attachments/token/SECRETPATH/a.pdf: HTTP 404', { retryable: false });
    const note = skipNote('a.pdf', e);
    expect(note).toBe('[Attachment not migrated: a.pdf — the file was not found at its source]');
  });

  test('stays on one line', () => {
    expect(skipNote('a\nb.txt', 'too\n big')).toBe('[Attachment not migrated: a b.txt — too big]');
  });
});

describe('withSkipNotes', () => {
  const notes = ['[Attachment not migrated: a<b>.exe — .exe files are not allowed by Plain]', '[Attachment not migrated: c.pdf — the file is empty]'];
  test('adds lines after a blank line to a text body', () => {
    expect(withSkipNotes('Hello', notes, 'text')).toBe(`Hello\n\n${notes[0]}\n${notes[1]}`);
  });
  test('adds escaped paragraphs to an HTML body', () => {
    expect(withSkipNotes('<p>Hello</p>', notes, 'html')).toBe(
      '<p>Hello</p><p>[Attachment not migrated: a&lt;b&gt;.exe — .exe files are not allowed by Plain]</p><p>[Attachment not migrated: c.pdf — the file is empty]</p>',
    );
  });
  test('leaves a body without notes as it is', () => {
    expect(withSkipNotes('<p>Hello</p>', [], 'html')).toBe('<p>Hello</p>');
  });
});
