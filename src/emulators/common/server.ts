/** The loopback HTTP server under each emulator: routing by path, socket tracking and a close that releases everything. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackServerOptions {
  host: string;
  port: number;
  /** Answers one request; `path` is the URL without its query string. */
  route(path: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Answers a request whose `route` threw before anything was sent. */
  failure(res: ServerResponse, error: Error): void;
  /** Runs first in close(): mark the emulator closed, release hung requests. */
  beforeClose(): void;
}

export interface LoopbackServer {
  /** http://HOST:PORT */
  readonly url: string;
  readonly port: number;
  /** Stops listening and destroys every open socket. */
  close(): Promise<void>;
}

export async function listenLoopback(opts: LoopbackServerOptions): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    opts.route(path, req, res).catch((e: unknown) => {
      if (!res.headersSent && !res.destroyed) opts.failure(res, e as Error);
      else res.destroy();
    });
  };
  const server = createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        opts.beforeClose();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}

/** Checks an integer option ≥ 0; `owner` names the function in the error. */
export function nonNegativeInt(owner: string, name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${owner}: ${name} must be an integer ≥ 0 (got ${value})`);
  return value;
}
