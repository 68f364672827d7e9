/** startPlainEmulator: the HTTP server, its routing and its lifecycle. */
import { listenLoopback, nonNegativeInt } from '../common/server.js';
import { handleAdmin } from './admin.js';
import { plainSchema } from './graphql.js';
import { sendError } from './http.js';
import { createIdGenerator } from './ids.js';
import { handleGraphQL } from './pipeline.js';
import { handleUpload, UPLOAD_PATH } from './uploads.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, EmulatorRuntime } from './runtime.js';
import { checkPlainSeed, resolveSeed } from './seed.js';
import { PlainStore } from './store.js';
import type { EmulatorRequestLog, EmulatorStateSnapshot, PlainSeed } from './types.js';

export interface PlainEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  seed?: PlainSeed;
  /** Requests per minute for the whole workspace; 0 (the default) is unlimited. */
  rateLimitPerMinute?: number;
  /** Delay before answering each GraphQL request. Default 0. */
  latencyMs?: number;
  /** Clock used for createdAt checks, the rate window, ids and the request log. */
  now?: () => Date;
  /** Emulator extension: how many requests the log keeps (oldest dropped). Default 10 000. */
  maxLoggedRequests?: number;
}

export interface PlainEmulator {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** url + '/graphql/v1' */
  readonly graphqlUrl: string;
  readonly port: number;
  /** Same JSON as GET /__emulator/state. */
  snapshot(): EmulatorStateSnapshot;
  requests(): EmulatorRequestLog[];
  /** Same as POST /__emulator/reset. */
  reset(): void;
  /** Stops listening, releases hung requests and destroys every open socket. */
  close(): Promise<void>;
}

export async function startPlainEmulator(opts: PlainEmulatorOptions = {}): Promise<PlainEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const port = nonNegativeInt('startPlainEmulator', 'port', opts.port, 0);
  const now = opts.now ?? ((): Date => new Date());
  const seed = checkPlainSeed(opts.seed ?? {}, 'options.seed');
  plainSchema(); // build the schema before the first request

  const ids = createIdGenerator(now);
  const store = new PlainStore(resolveSeed(seed, ids), ids, now);
  const rt = new EmulatorRuntime(
    store,
    now,
    { latencyMs: nonNegativeInt('startPlainEmulator', 'latencyMs', opts.latencyMs, 0) },
    nonNegativeInt('startPlainEmulator', 'rateLimitPerMinute', opts.rateLimitPerMinute, 0),
    opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS,
  );

  const server = await listenLoopback({
    host,
    port,
    route: async (path, req, res) => {
      if (path === '/graphql/v1') return handleGraphQL(rt, req, res);
      if (path.startsWith(UPLOAD_PATH)) return handleUpload(rt, path.slice(UPLOAD_PATH.length), req, res);
      if (await handleAdmin(rt, path, req, res)) return;
      sendError(res, 404, `No route for ${req.method ?? '?'} ${path}: the Plain API lives at POST /graphql/v1`, 'NOT_FOUND');
    },
    failure: (res, e) => sendError(res, 500, `Emulator failure: ${e.message}`, 'INTERNAL_SERVER_ERROR'),
    beforeClose: () => {
      rt.closed = true;
      for (const res of rt.hung) res.destroy();
      rt.hung.clear();
    },
  });
  const url = server.url;
  rt.baseUrl = url;

  return {
    url,
    graphqlUrl: `${url}/graphql/v1`,
    port: server.port,
    snapshot: () => store.snapshot(),
    requests: () => rt.log.list(),
    reset: () => rt.reset(),
    close: () => server.close(),
  };
}
