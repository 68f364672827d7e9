import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BASIC, Clock, EXPORT_DIR, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);

describe('Zendesk emulator: attachments', () => {
  test('content_url needs auth and answers 302 to a signed URL on another origin', async () => {
    const anon = await fetch(`${emu.url}/attachments/token/9001/?name=screenshot.png`, { redirect: 'manual' });
    expect(anon.status).toBe(401);
    const r = await fetch(`${emu.url}/attachments/token/9001/?name=screenshot.png`, { redirect: 'manual', headers: { authorization: BASIC } });
    expect(r.status).toBe(302);
    const location = r.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^http://localhost:${emu.port}/zdusercontent/9001/screenshot\\.png\\?token=[0-9a-f]+$`));
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(bytes.equals(await readFile(join(EXPORT_DIR, 'attachments/5017/screenshot.png')))).toBe(true);
  });

  test('zdusercontent refuses forwarded credentials (400) and a missing token (403)', async () => {
    const r = await fetch(`${emu.url}/attachments/token/9001/?name=screenshot.png`, { redirect: 'manual', headers: { authorization: BASIC } });
    const location = r.headers.get('location') ?? '';
    const leaked = await get(emu, location, BASIC);
    expect(leaked.status).toBe(400);
    expect(leaked.text).toMatch(/credentials must not be forwarded to zdusercontent/);
    expect((await get(emu, location.replace(/\?token=.*/, ''), null)).status).toBe(403);
    const ok = await fetch(location);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
  });

  test('fetch following the redirect drops the Authorization header (cross-origin) and gets the bytes', async () => {
    const r = await fetch(`${emu.url}/attachments/token/9002/?name=invoice-105.pdf`, { headers: { authorization: BASIC } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect((await r.arrayBuffer()).byteLength).toBe(102);
    const ops = emu.requests().map((e) => `${e.operation} ${e.status}`);
    expect(ops).toEqual(['attachment 302', 'attachment.download 200']);
  });

  test('an attachment without a file is served as a deterministic placeholder of its size; unknown → 404', async () => {
    emu.account.change({ comments: [{ ticket_id: 101, body: 'see log', attachments: [{ id: 9999, file_name: 'crash.log', size: 1000, content_type: 'text/plain' }] }] });
    const a = await fetch(`${emu.url}/attachments/token/9999/?name=crash.log`, { headers: { authorization: BASIC } });
    const b = await fetch(`${emu.url}/attachments/token/9999/?name=crash.log`, { headers: { authorization: BASIC } });
    const [x, y] = [Buffer.from(await a.arrayBuffer()), Buffer.from(await b.arrayBuffer())];
    expect(x.length).toBe(1000);
    expect(x.equals(y)).toBe(true);
    expect((await get(emu, '/attachments/token/12345/?name=x')).status).toBe(404);
  });
});
