/**
 * Attachment bytes, the Zendesk way: content_url (/attachments/token/{id}/?name=…, auth required)
 * answers 302 to a signed URL on another origin (http://localhost:PORT/zdusercontent/…), which serves
 * the bytes without auth and refuses any request that forwards an Authorization header.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readFile } from 'node:fs/promises';
import { notFound, type Answer } from './paging.js';
import type { ZendeskStore } from './store.js';
import type { AttachmentRecord } from './types.js';

export class AttachmentHost {
  private readonly secret = randomBytes(16).toString('hex');

  constructor(
    private readonly store: ZendeskStore,
    private readonly port: () => number,
  ) {}

  private token(id: number): string {
    return createHash('sha256').update(`${this.secret}:${id}`).digest('hex').slice(0, 32);
  }

  /** GET /attachments/token/{id}/?name=… (authenticated by the caller). */
  redirect([id = '']: string[]): Answer {
    const a = this.store.attachments.get(Number(id));
    if (!a || !/^\d+$/.test(id)) return notFound();
    const location = `http://localhost:${this.port()}/zdusercontent/${a.id}/${encodeURIComponent(a.fileName)}?token=${this.token(a.id)}`;
    return { status: 302, text: '', headers: { location, 'content-type': 'text/html; charset=utf-8' } };
  }

  /** GET /zdusercontent/{id}/{name}?token=… */
  async download(req: IncomingMessage, [id = '', name = '']: string[], q: URLSearchParams): Promise<Answer> {
    const text = (status: number, message: string): Answer => ({ status, text: `${message}\n`, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    if (req.headers.authorization !== undefined) return text(400, 'credentials must not be forwarded to zdusercontent');
    const a = this.store.attachments.get(Number(id));
    if (!a || !/^\d+$/.test(id) || decodeURIComponent(name) !== a.fileName) return text(404, 'Not Found');
    if (q.get('token') !== this.token(a.id)) return text(403, 'Forbidden: missing or invalid download token');
    const bytes = await contentOf(a);
    return {
      status: 200,
      text: bytes,
      headers: { 'content-type': a.contentType, 'content-disposition': `attachment; filename="${a.fileName.replace(/["\\\r\n]/g, '_')}"` },
    };
  }
}

/** The seed's file, or a deterministic placeholder of `size` bytes when there is none. */
export async function contentOf(a: AttachmentRecord): Promise<Buffer> {
  if (a.localPath !== undefined) {
    try {
      return await readFile(a.localPath);
    } catch {
      // fall through to the placeholder
    }
  }
  return placeholder(a);
}

export function placeholder(a: AttachmentRecord): Buffer {
  const unit = Buffer.from(`zendesk emulator placeholder: attachment ${a.id} ${a.fileName}\n`);
  const out = Buffer.alloc(a.size);
  for (let i = 0; i < a.size; i += unit.length) unit.copy(out, i, 0, Math.min(unit.length, a.size - i));
  return out;
}
