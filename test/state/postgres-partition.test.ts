/**
 * A lock holder cut off from the database without any error (a partition: packets vanish, nothing is
 * closed) learns it from its heartbeat, stops, and writes nothing more; once its connection is really
 * gone, the next run takes the lock. Through a TCP proxy that can swallow traffic in both directions.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { PgStateStore } from '../../src/state/postgres.js';
import { freshDatabase } from '../helpers/pg.js';

interface Proxy {
  url: string;
  /** Stop forwarding, without closing anything. */
  blackhole(): void;
  /** Close every connection through it (the server then ends those sessions). */
  cut(): void;
  close(): Promise<void>;
}

async function proxyTo(target: string): Promise<Proxy> {
  const t = new URL(target);
  let dark = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: t.hostname, port: Number(t.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d) => dark || upstream.write(d));
    upstream.on('data', (d) => dark || client.write(d));
    client.on('end', () => dark || upstream.end());
    upstream.on('end', () => dark || client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const u = new URL(target);
  u.port = String((server.address() as { port: number }).port);
  return {
    url: u.toString(),
    blackhole: () => (dark = true),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const proxies: Proxy[] = [];
afterAll(async () => {
  for (const p of proxies) {
    p.cut();
    await p.close();
  }
});

describe('a lock holder cut off from the database', () => {
  it('notices within its heartbeat, stops writing, and the next run takes over once the session is gone', async () => {
    const direct = await freshDatabase('partition');
    const proxy = await proxyTo(direct);
    proxies.push(proxy);
    const holder = (await PgStateStore.open({ url: proxy.url, schema: 'plain_migrate', manifestName: 'p', create: true, heartbeat: { everyMs: 200, timeoutMs: 1000 } }))!;
    const { runId } = await holder.acquireLock('apply p');
    const outcome = (address: string) => ({ address, kind: 'thread' as const, externalId: address, inputHash: 'h', targetId: 'th_1', result: 'CREATED' as const, attempts: 1 });
    await holder.record([outcome('thread["before"]')], runId);
    proxy.blackhole();
    const started = Date.now();
    await expect.poll(() => holder.lockLost.aborted, { timeout: 5000, interval: 50 }).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(holder.lockLost.reason).toMatchObject({ code: 'state.lock-lost' });
    expect((holder.lockLost.reason as Error).message).toMatch(/stopped answering/);
    await expect(holder.record([outcome('thread["after"]')], runId)).rejects.toMatchObject({ code: 'state.lock-lost' });
    // The server still sees the session through the proxy (as it would until its keepalives fail): the lock is held.
    const next = (await PgStateStore.open({ url: direct, schema: 'plain_migrate', manifestName: 'p', create: true }))!;
    await expect(next.acquireLock('apply p')).rejects.toMatchObject({ code: 'state.locked' });
    // The connection really goes: the lock with it, and the next run takes over from what was recorded.
    proxy.cut();
    await expect
      .poll(async () => (await next.acquireLock('apply p').then((l) => l, () => undefined)) !== undefined, { timeout: 5000, interval: 100 })
      .toBe(true);
    expect(await next.get('thread["before"]')).toMatchObject({ status: 'applied' });
    expect(await next.get('thread["after"]')).toBeUndefined();
    expect((await next.runs(5)).find((r) => r.id === runId)?.outcome).toBe('crashed');
    await holder.close().catch(() => undefined);
    await next.close();
  });
});
