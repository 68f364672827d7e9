/**
 * Connecting to the PostgreSQL state: the client configuration from `state.url`, the URL as it may be
 * shown (never with its password), and connection failures as errors that say what to check.
 *
 * TLS: `sslmode` in the URL is honoured as the `pg` client reads it (`require`, `verify-ca` and
 * `verify-full` all verify the server's certificate and name; `sslrootcert=FILE` names the CA;
 * `no-verify` is the explicit way out). A URL without `sslmode` to a host other than loopback connects
 * with `sslmode=verify-full`: certificates are verified unless the URL says otherwise.
 */
import type { ClientConfig } from 'pg';
import { PmError } from '../core/errors.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new PmError('state.open-failed', 'the state database URL is not a URL', { hint: 'write it as postgres://user@host:5432/database?sslmode=verify-full' });
  }
}

/** `postgres://user@host:port/db`: the URL without its password or query, for messages. */
export function describePgUrl(url: string): string {
  const u = parse(url);
  const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
  return `postgres://${user}${u.host}${u.pathname}`;
}

export function isLoopbackHost(url: string): boolean {
  const u = parse(url);
  const h = u.hostname.toLowerCase();
  // No host: a Unix socket (host=/path in the query), which is local too.
  return h === '' || LOOPBACK.has(h) || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The `pg` configuration for the URL, with the defaults this project wants. */
export function pgConfig(url: string, applicationName: string): ClientConfig {
  const u = parse(url);
  if (!u.searchParams.has('sslmode') && !isLoopbackHost(url)) u.searchParams.set('sslmode', 'verify-full');
  return {
    connectionString: u.toString(),
    application_name: applicationName.slice(0, 63),
    // A half-open connection (host lost, partition) is noticed within a minute, not the OS's two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    connectionTimeoutMillis: 15_000,
  };
}

/** Replace the URL's password wherever a message might repeat it. */
export function hidePassword(text: string, url: string): string {
  let pw = '';
  try {
    pw = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  if (pw === '') return text;
  let out = text.split(pw).join('***');
  const enc = encodeURIComponent(pw);
  if (enc !== pw) out = out.split(enc).join('***');
  return out;
}

/** A failure to reach or use the state database, as an error a person can act on. */
export function pgOpenError(e: unknown, url: string): PmError {
  if (e instanceof PmError) return e;
  const where = describePgUrl(url);
  const code = (e as { code?: string }).code ?? '';
  const message = hidePassword((e as Error)?.message ?? String(e), url);
  const hint =
    code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ETIMEDOUT'
      ? 'check the host and port in the URL, and that the database accepts connections from this machine'
      : code === '28P01' || code === '28000'
        ? 'check the user and password in the URL (the password comes from the environment variable the manifest names)'
        : code === '3D000'
          ? 'create the database first (CREATE DATABASE …); plain-migrate creates its schema and tables in it'
          : /certificate|self[- ]signed|SSL|TLS|altnames/i.test(message)
            ? 'the server’s certificate could not be verified: give its CA with sslrootcert=/path/ca.pem in the URL (sslmode=no-verify turns the check off, which lets anyone in the middle read the state)'
            : 'check state.url and that the database is up';
  return new PmError('state.open-failed', `cannot use the state database ${where}: ${message}`, { hint });
}
