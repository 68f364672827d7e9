/** The loopback HTTP server under each emulator: routing by path, socket tracking and a close that releases everything. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleAdminRoutes, type AdminControl } from './admin.js';
import { destroyConnection } from './http.js';

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

/** Requests the `hang` fault holds open, and whether the emulator is closing; close() drops them all. */
export class HeldRequests {
  closed = false;
  private readonly held = new Set<ServerResponse>();

  /** Carries out the `reset` (drop the connection) and `hang` (never answer) faults; true when `action` is one. */
  connectionFault(action: string | undefined, req: IncomingMessage, res: ServerResponse): boolean {
    if (action === 'reset') {
      destroyConnection(req, res);
      return true;
    }
    if (action !== 'hang') return false;
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
    return true;
  }

  close(): void {
    this.closed = true;
    for (const r of this.held) r.destroy();
    this.held.clear();
  }
}

export interface EmulatorServerOptions {
  host: string;
  port: number;
  /** Serves /__emulator/… (see handleAdminRoutes); every other path goes to `handle`. */
  control: AdminControl;
  handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
  failure(res: ServerResponse, error: Error): void;
  /** Closed first in close(). */
  held: HeldRequests;
}

/** listenLoopback with the inspection endpoints in front of the emulator's own routes. */
export function listenEmulator(opts: EmulatorServerOptions): Promise<LoopbackServer> {
  return listenLoopback({
    host: opts.host,
    port: opts.port,
    route: async (path, req, res) => {
      if (path.startsWith('/__emulator/') && (await handleAdminRoutes(opts.control, path, req, res))) return;
      return opts.handle(path, req, res);
    },
    failure: opts.failure,
    beforeClose: () => opts.held.close(),
  });
}

/**
 * The emulator's configure(patch): refuses an unknown key or a value that is not an integer ≥ 0 (`unset`: a key
 * that may also be -1, "not set"), then `set`s each given key in order.
 */
export function applyConfigPatch(owner: string, keys: readonly string[], patch: object, set: (key: string, value: number) => void, unset?: string): void {
  for (const [k, v] of Object.entries(patch) as [string, number | undefined][]) {
    if (v === undefined) continue;
    if (!keys.includes(k)) throw new RangeError(`${owner}: unknown config key "${k}"`);
    if (k !== unset || v !== -1) nonNegativeInt(owner, k, v, 0);
    set(k, v);
  }
}
