/**
 * `pull`: brings the snapshot of every live source up to date, one connection (or command source) at a
 * time, through its kind's adapter. Each page is committed with the cursor that covers it, so a pull
 * stopped anywhere (Ctrl-C, SIGKILL, a 401, the network) resumes from its last page and never removes
 * a record: a later plan cannot see records as gone.
 */
import { PmError } from '../../core/errors.js';
import { HttpSourceClient, HttpSourceError } from '../../http/client.js';
import type { FetchRule } from '../../http/net.js';
import type { ConnectionDecl, LiveSourceDecl, Manifest } from '../../manifest/types.js';
import type { SnapshotStore } from '../../state/types.js';
import { liveKind } from './registry.js';
import type { LiveKind, PullEvent } from './types.js';

export interface PullOptions {
  readonly manifest: Manifest;
  readonly snapshot: SnapshotStore;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly emit?: (e: PullEvent) => void;
  readonly now?: () => number;
}

export interface PullResult {
  /** Requests sent per connection (every attempt). */
  readonly requests: Readonly<Record<string, number>>;
  /** 429s met per connection. */
  readonly rateLimited: Readonly<Record<string, number>>;
}

/** The live sources of a manifest (file sources are not pulled). */
export function liveSources(m: Manifest): LiveSourceDecl[] {
  return Object.values(m.sources).filter((s): s is LiveSourceDecl => s.kind === 'live');
}

interface Job {
  readonly label: string;
  readonly kind: LiveKind;
  readonly connection?: ConnectionDecl;
  readonly sources: LiveSourceDecl[];
}

function jobs(m: Manifest): Job[] {
  const out: Job[] = [];
  const byConnection = new Map<string, Job>();
  for (const s of liveSources(m)) {
    const kind = liveKind(s.adapter);
    if (!kind) throw new PmError('pull.unknown-kind', `source "${s.name}": no adapter for ${s.adapter}`, { location: s.location });
    if (s.connection === undefined) {
      out.push({ label: `command source "${s.name}"`, kind, sources: [s] });
      continue;
    }
    let job = byConnection.get(s.connection);
    if (!job) {
      const connection = m.connections[s.connection]!;
      job = { label: `connection "${s.connection}"`, kind, connection, sources: [] };
      byConnection.set(s.connection, job);
      out.push(job);
    }
    job.sources.push(s);
  }
  return out;
}

/** What a failed request means for the person running the pull, by its HTTP status. */
function failure(job: Job, e: HttpSourceError): PmError {
  const c = job.connection;
  const at = c ? `connections.${c.name}` : undefined;
  const where = job.kind.auth.length > 0 ? `${at}.auth` : `${at}.headers`;
  const hint =
    e.status === 401
      ? `the credentials were refused: check ${where} (the variables it reads hold a valid, unexpired token for ${c?.baseUrl}); what was pulled so far is kept, and the next pull resumes there`
      : e.status === 403
        ? `the credentials are not allowed to read this (${job.kind.kind} exports often need an administrator's token); what was pulled so far is kept`
        : e.status === 404
          ? `check ${at}.baseUrl (${c?.baseUrl}) — it should be the account's address`
          : 'what was pulled so far is kept; run the pull again to resume from its last committed page';
  return new PmError('pull.failed', `pulling from ${job.label} failed: ${e.message}`, {
    ...(c ? { location: c.location, path: at } : {}),
    hint,
  });
}

export async function pullLive(o: PullOptions): Promise<PullResult> {
  const emit = o.emit ?? (() => undefined);
  const requests: Record<string, number> = {};
  const rateLimited: Record<string, number> = {};
  for (const job of jobs(o.manifest)) {
    o.signal.throwIfAborted();
    const c = job.connection;
    const http = c
      ? new HttpSourceClient({
          name: c.name,
          baseUrl: c.baseUrl,
          headers: { ...(job.kind.authHeaders?.(c) ?? {}), ...c.headers },
          requestsPerMinute: c.requestsPerMinute ?? job.kind.defaultRequestsPerMinute,
          signal: o.signal,
          secrets: [...Object.values(c.auth), ...Object.values(c.headers)],
          emit: (e) => {
            if (e.type === 'request') emit({ type: 'request', connection: c.name, ok: e.ok, at: e.at });
            else if (e.type === 'retry') emit({ type: 'retry', connection: c.name, url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason });
            else emit({ type: 'rate-limit-wait', connection: c.name, untilMs: e.untilMs });
          },
        })
      : undefined;
    try {
      await job.kind.pull({
        ...(c ? { connection: c } : {}),
        sources: job.sources,
        ...(http ? { http } : {}),
        snapshot: o.snapshot,
        emit,
        signal: o.signal,
        env: o.env,
        cwd: o.manifest.dir,
        now: o.now ?? Date.now,
      });
    } catch (e) {
      if (e instanceof HttpSourceError) throw failure(job, e);
      throw e;
    } finally {
      if (c && http) {
        requests[c.name] = (requests[c.name] ?? 0) + http.requests;
        rateLimited[c.name] = (rateLimited[c.name] ?? 0) + http.rateLimited;
      }
    }
  }
  return { requests, rateLimited };
}

/**
 * Attachment fetch rules for the connections: a URL on a connection's origin is fetched with its
 * credentials (a redirect to another origin is followed without them: see attachments/fetch.ts).
 */
export function connectionFetchRules(m: Manifest): FetchRule[] {
  const rules: FetchRule[] = [];
  for (const c of Object.values(m.connections)) {
    const kind = liveKind(c.kind);
    const headers = { ...(kind?.authHeaders?.(c) ?? {}), ...c.headers };
    if (Object.keys(headers).length > 0) rules.push({ prefix: `${new URL(c.baseUrl).origin}/`, headers, ...(kind?.attachmentBody ? { body: kind.attachmentBody } : {}) });
  }
  return rules;
}
