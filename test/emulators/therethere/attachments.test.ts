/** POST /api/attachments and upload tokens on imported messages and notes: single use, ≤ 10 per message, ≤ 25 MB, cid:TOKEN inline images. */
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { startThereThereEmulator } from '../../../src/emulators/therethere/index.js';
import { ADMIN_SARA, AGENT, ago, call, expect422, expectOnly422, importTicket, newTicket, SEED, upload, uploadRaw, useEmulator } from './helpers.js';

const emu = useEmulator();

const sha = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const withFiles = (attachment_ids: unknown, body = '<p>see attached</p>') => importTicket(emu, { messages: [{ type: 'inbound', body, created_at: ago(5), attachment_ids }] });
const MB25 = 25_600 * 1024;

describe('POST /api/attachments', () => {
  test('201 with a single-use upload token, its file name, type, size and expiry', async () => {
    const r = await uploadRaw(emu, 'hello world', 'hello.txt', 'text/plain');
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      data: { token: expect.stringMatching(/^upl_acme_[0-9a-z]{26}$/), filename: 'hello.txt', mime_type: 'text/plain', size: 11, expires_at: expect.stringMatching(/\+00:00$/) },
    });
    expect(Date.parse(r.body.data.expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
  });

  test('any authenticated token may upload', async () => {
    expect((await uploadRaw(emu, 'x', 'x.txt', 'text/plain', AGENT)).status).toBe(201);
  });

  test('the file field is required', async () => {
    const form = new FormData();
    form.append('other', 'x');
    expectOnly422(await call(emu, 'POST', '/api/attachments', { body: form }), 'file', 'The file field is required.');
    expectOnly422(await call(emu, 'POST', '/api/attachments', { body: { file: 'x' } }), 'file', 'The file field is required.');
  });

  test('the file field must be a file', async () => {
    const form = new FormData();
    form.append('file', 'just text');
    expectOnly422(await call(emu, 'POST', '/api/attachments', { body: form }), 'file', 'The file field must be a file.');
  });

  test('files over 25 MB are refused; exactly 25 MB (25 600 KB) is accepted', async () => {
    expectOnly422(await uploadRaw(emu, new Uint8Array(MB25 + 1), 'big.bin', 'application/octet-stream'), 'file', 'The file field must not be greater than 25600 kilobytes.');
    expect((await uploadRaw(emu, new Uint8Array(MB25), 'edge.bin', 'application/octet-stream')).status).toBe(201);
  });
});

describe('attachment_ids on an imported message', () => {
  test('an uploaded file lands on the message once; the state records its name, size and SHA-256', async () => {
    const data = 'PDF-ish bytes';
    const tok = await upload(emu, data, 'invoice.pdf', 'application/pdf');
    const r = await withFiles([tok]);
    expect(r.status).toBe(201);
    expect(r.body.data.messages[0].attachments).toEqual([{ id: expect.any(Number), name: 'invoice.pdf', url: expect.stringMatching(/\/api\/attachments\/[0-9A-Z]{26}$/), size: 13, mime_type: 'application/pdf' }]);
    expect(emu.snapshot().tickets[0]?.messages[0]?.attachments).toEqual([{ name: 'invoice.pdf', size: 13, sha256: sha(data) }]);
  });

  test('a token is single use: attaching it again is refused', async () => {
    const tok = await upload(emu);
    expect((await withFiles([tok])).status).toBe(201);
    expectOnly422(await withFiles([tok]), 'messages.0.attachment_ids.0', 'The selected messages.0.attachment ids.0 is invalid.');
  });

  test('an unknown token is refused', async () => {
    expectOnly422(await withFiles(['upl_acme_nope']), 'messages.0.attachment_ids.0', 'The selected messages.0.attachment ids.0 is invalid.');
  });

  test('a token uploaded with another API token is refused', async () => {
    const tok = await upload(emu, 'x', 'x.txt', 'text/plain', ADMIN_SARA);
    expectOnly422(await withFiles([tok]), 'messages.0.attachment_ids.0', 'The selected messages.0.attachment ids.0 is invalid.');
  });

  test('a token named twice in one import is a duplicate on both', async () => {
    const tok = await upload(emu);
    const r = await importTicket(emu, {
      messages: [
        { type: 'inbound', body: 'a', attachment_ids: [tok] },
        { type: 'outbound', body: 'b', attachment_ids: [tok] },
      ],
    });
    expect422(r, 'messages.0.attachment_ids.0', 'The messages.0.attachment ids.0 field has a duplicate value.');
    expect(r.body.errors['messages.1.attachment_ids.0']).toEqual(['The messages.1.attachment ids.0 field has a duplicate value.']);
  });

  test('at most 10 per message: 11 are refused, 10 accepted', async () => {
    const tokens = await Promise.all(Array.from({ length: 11 }, (_, i) => upload(emu, `f${i}`, `f${i}.txt`)));
    expectOnly422(await withFiles(tokens), 'messages.0.attachment_ids', 'The messages.0.attachment ids field must not have more than 10 items.');
    const r = await withFiles(tokens.slice(0, 10));
    expect(r.status).toBe(201);
    expect(emu.snapshot().tickets[0]?.messages[0]?.attachments.map((a) => a.name)).toEqual(tokens.slice(0, 10).map((_, i) => `f${i}.txt`));
  });

  test('an expired token is refused', async () => {
    let clock = Date.now();
    const timed = await startThereThereEmulator({ seed: SEED, now: () => new Date(clock) });
    try {
      const tok = await upload(timed);
      clock += 24 * 3_600_000 + 1000;
      expectOnly422(await importTicket(timed, { messages: [{ type: 'inbound', body: 'x', attachment_ids: [tok] }] }), 'messages.0.attachment_ids.0', 'The selected messages.0.attachment ids.0 is invalid.');
    } finally {
      await timed.close();
    }
  });
});

describe('inline images: cid:TOKEN in the body', () => {
  test('rewritten to the image URL; the file is an inline image, still recorded with the message', async () => {
    const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const img = await upload(emu, png, 'shot.png', 'image/png');
    const doc = await upload(emu, 'doc', 'doc.txt');
    const r = await withFiles([img, doc], `<p>Look:</p><img src="cid:${img}"><img src="cid:image001.png@01D9">`);
    expect(r.status).toBe(201);
    const m = r.body.data.messages[0];
    expect(m.inline_images).toEqual([{ id: expect.any(Number), name: 'shot.png', mime_type: 'image/png', size: 7, content_id: null, url: expect.any(String), download_url: expect.any(String) }]);
    expect(m.attachments.map((a: { name: string }) => a.name)).toEqual(['doc.txt']);
    expect(m.body_html).toBe(`<p>Look:</p><img src="${m.inline_images[0].url}"><img src="cid:image001.png@01D9">`);
    expect(m.inline_images[0].url).toMatch(new RegExp(`^${emu.url}/api/inline-images/[0-9A-Z]{26}$`));
    const stored = emu.snapshot().tickets[0]?.messages[0];
    expect(stored?.body_html).toBe(m.body_html);
    expect(stored?.attachments).toEqual([
      { name: 'shot.png', size: 7, sha256: sha(png) },
      { name: 'doc.txt', size: 3, sha256: sha('doc') },
    ]);
  });

  test('a cid: upload token that is not among the message’s attachment_ids is refused', async () => {
    const img = await upload(emu, 'i', 'i.png', 'image/png');
    const r = await importTicket(emu, {
      messages: [
        { type: 'inbound', body: 'first', attachment_ids: [img] },
        { type: 'outbound', body: `<img src="cid:${img}">` },
      ],
    });
    expectOnly422(r, 'messages.1.body', `The messages.1.body field references cid:${img}, which is not one of the upload tokens in messages.1.attachment_ids.`);
  });
});

describe('attachment_ids on a note', () => {
  test('the same rules: the file lands on the note; reuse, > 10 and cid rules apply', async () => {
    const ulid = await newTicket(emu);
    const tok = await upload(emu, 'note file', 'n.txt');
    const ok = await call(emu, 'POST', `/api/tickets/${ulid}/note`, { body: { body: `<img src="cid:${tok}">`, attachment_ids: [tok] } });
    expect(ok.status).toBe(201);
    expect(ok.body.data.inline_images).toHaveLength(1);
    expect(emu.snapshot().tickets[0]?.messages.at(-1)?.attachments).toEqual([{ name: 'n.txt', size: 9, sha256: sha('note file') }]);
    expectOnly422(await call(emu, 'POST', `/api/tickets/${ulid}/note`, { body: { body: 'again', attachment_ids: [tok] } }), 'attachment_ids.0', 'The selected attachment ids.0 is invalid.');
    // Too many, and (as in Laravel) each unknown token is reported as well.
    const many = await call(emu, 'POST', `/api/tickets/${ulid}/note`, { body: { body: 'x', attachment_ids: Array.from({ length: 11 }, (_, i) => `upl_acme_${i}`) } });
    expect422(many, 'attachment_ids', 'The attachment ids field must not have more than 10 items.');
    expect(Object.keys(many.body.errors)).toHaveLength(12);
  });
});
