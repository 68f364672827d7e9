/** A throwaway HTTP server on 127.0.0.1 (port 0) for the attachments tests: routes by path, logs requests. */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AttachmentError } from '../../src/attachments/index.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface LoggedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface TestServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly requests: LoggedRequest[];
  route(path: string, h: Handler): void;
  close(): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    const h = routes.get(path);
    if (!h) {
      res.writeHead(404).end('no route');
      return;
    }
    Promise.resolve(h(req, res)).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (p, h) => void routes.set(p, h),
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

/** Writes `total` bytes of `byte` in 64 KiB chunks, honouring backpressure; resolves with the bytes written when done or closed. */
export function writeSlowly(res: ServerResponse, total: number, byte = 0x61): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, byte);
  let written = 0;
  return new Promise((done) => {
    const pump = (): void => {
      while (written < total) {
        if (res.destroyed) return done(written);
        const n = Math.min(chunk.length, total - written);
        written += n;
        if (!res.write(chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
      done(written);
    };
    res.on('close', () => done(written));
    pump();
  });
}

/** The AttachmentError a promise fails with (fails the test if it succeeds or fails otherwise). */
export async function failure(p: Promise<unknown>): Promise<AttachmentError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AttachmentError) return e;
    throw new Error(`expected an AttachmentError, got ${String(e)}`);
  }
  throw new Error('expected a failure, got success');
}
