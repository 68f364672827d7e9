/**
 * The PostgreSQL state's lock: a session-level advisory lock held on a connection of its own for the
 * whole apply (or pull), and every write of that run sent on the same connection. So:
 *
 * - a holder that dies (SIGKILL, lost host) frees the lock with its session: the next run proceeds
 *   without `force-unlock` (PostgreSQL releases a session's advisory locks when it ends);
 * - a holder that vanishes without closing (host lost, partition) is noticed by the server through the
 *   TCP keepalives set on the session (about 30 s, not the OS's two hours), which frees its lock;
 * - a holder whose connection dies learns it at once (the client's `error`/`end` events, or a heartbeat
 *   query every 10 s when idle, with TCP keepalive for a silent peer) and `lost` aborts: the run stops
 *   sending, and since its writes went on that connection, none can land after another run took the lock;
 * - a write that succeeded was made by the lock's holder, in a session that held it.
 *
 * Unlike Terraform's pg backend (fact sheet §1) the key is a hash of schema and migration name, not a
 * per-schema sequence; there is no database-wide creation lock; lock and unlock are pinned to one
 * session (not a pool); and the holder's identity is kept in a row, since advisory locks carry none.
 */
import pg from 'pg';
import { PmError } from '../core/errors.js';

/** How often an idle lock connection is asked whether it is alive, and how long an answer may take. */
export interface Heartbeat {
  readonly everyMs: number;
  readonly timeoutMs: number;
}
export const HEARTBEAT: Heartbeat = { everyMs: 10_000, timeoutMs: 30_000 };

export class PgLockSession {
  private readonly controller = new AbortController();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private ending = false;
  /** Statements queued or running: the heartbeat is needed only when the connection is idle. */
  private busy = 0;
  backendPid = 0;

  private constructor(
    private readonly client: pg.Client,
    readonly key: string,
    private readonly describe: string,
    private readonly beat: Heartbeat,
  ) {
    const lose = (why: string) => {
      if (this.ending || this.controller.signal.aborted) return;
      this.controller.abort(new PmError('state.lock-lost', `the connection holding the state lock on ${describe} was lost (${why}); the run stopped sending`, {
        hint: 'nothing more was sent after it; run the same command again: it resumes from what was recorded',
      }));
      clearInterval(this.timer);
    };
    client.on('error', (e) => lose(e.message));
    client.on('end', () => lose('the server closed it'));
    this.lose = lose;
  }

  private readonly lose: (why: string) => void;

  /** Aborted (with a PmError as reason) when the lock's connection is gone. */
  get lost(): AbortSignal {
    return this.controller.signal;
  }

  /** Connect and try the lock once: the session holding it, or undefined when another session has it. */
  static async take(config: pg.ClientConfig, key: string, describe: string, beat: Heartbeat = HEARTBEAT): Promise<PgLockSession | undefined> {
    const client = new pg.Client(config);
    await client.connect();
    const session = new PgLockSession(client, key, describe, beat);
    try {
      // The server notices a holder that vanished without closing (host lost, partition) in about 30 s,
      // not the operating system's two hours, and frees the lock with the session.
      await client.query('SET tcp_keepalives_idle = 15; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
      const r = await client.query<{ ok: boolean; pid: number }>('SELECT pg_try_advisory_lock($1::bigint) AS ok, pg_backend_pid() AS pid', [key]);
      if (!r.rows[0]!.ok) {
        session.ending = true;
        await client.end().catch(() => undefined);
        return undefined;
      }
      session.backendPid = r.rows[0]!.pid;
    } catch (e) {
      session.ending = true;
      await client.end().catch(() => undefined);
      throw e;
    }
    session.timer = setInterval(() => session.heartbeat(), beat.everyMs);
    session.timer.unref();
    return session;
  }

  private heartbeat(): void {
    if (this.busy > 0) return;
    let timeout: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`no answer in ${this.beat.timeoutMs / 1000} s`)), this.beat.timeoutMs);
      timeout.unref();
    });
    Promise.race([this.query('SELECT 1'), late])
      .catch((e: Error) => {
        if (this.ending || this.lost.aborted) return;
        this.controller.abort(new PmError('state.lock-lost', `the connection holding the state lock on ${this.describe} stopped answering (${e.message}); the run stopped sending`, {
          hint: 'nothing more was sent after it; run the same command again: it resumes from what was recorded',
        }));
        clearInterval(this.timer);
        // Closing our end makes the server drop the session (and the lock) as soon as it notices.
        (this.client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      })
      .finally(() => clearTimeout(timeout));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.busy++;
    const run = this.chain
      .then(() => {
        if (this.lost.aborted) throw this.lost.reason as Error;
        return fn().catch((e: unknown) => {
          // The session ended by the server (force-unlock's pg_terminate_backend, a shutdown): the query's
          // error can arrive before the connection's own 'error' event; either way the lock is lost.
          const code = (e as { code?: unknown })?.code;
          if (typeof code === 'string' && code.startsWith('57P')) this.lose((e as Error).message);
          throw e;
        });
      })
      .finally(() => this.busy--);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** One statement on the lock's connection, after those before it. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.serial(() => this.client.query<R>(text, values));
  }

  /** Statements in one transaction on the lock's connection; nothing else runs on it meanwhile. */
  transaction<T>(fn: (q: <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>) => Promise<T>): Promise<T> {
    return this.serial(async () => {
      await this.client.query('BEGIN');
      try {
        const out = await fn((text, values) => this.client.query(text, values));
        await this.client.query('COMMIT');
        return out;
      } catch (e) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  /** Unlock and close. Where the connection is already gone, the server has freed the lock with it. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    if (!this.lost.aborted) {
      await this.serial(() => this.client.query('SELECT pg_advisory_unlock($1::bigint)', [this.key])).catch(() => undefined);
    }
    this.ending = true;
    await this.client.end().catch(() => undefined);
  }
}
