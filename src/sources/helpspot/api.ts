/**
 * HelpSpot's Web Service API, as the adapter calls it (../shared/reference/source-apis.md §6): every call is
 * `GET {baseUrl}/api/index.php?method=…&output=json` (the default output is XML), with the connection's
 * credentials in the Authorization header (never ?username=&password=, which would put them in URLs).
 * Errors are HTTP 400 with `{"error":[{"id":…,"description":…}]}`; refused credentials are error 2 (or 3)
 * under HTTP 400, not 401 (§6 Auth), so they are reported as the connection's auth failing.
 */
import { HttpSourceError, type HttpSourceClient, type HttpSourceResponse } from '../../http/client.js';

export const API_PATH = '/api/index.php';

export interface HelpSpotError {
  readonly id: number;
  readonly description: string;
}

/** The errors of an error answer (`error` is a list, or one object). */
export function errorsOf(body: unknown): HelpSpotError[] {
  const e = (body as { error?: unknown } | undefined)?.error;
  const list = Array.isArray(e) ? e : typeof e === 'object' && e !== null ? [e] : [];
  return list
    .filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null)
    .map((x) => ({ id: Number(x['id'] ?? x['error_id']), description: String(x['description'] ?? '') }));
}

/** Error ids that mean the credentials (§6: 1 not sent, 2 authentication failed, 3 too many failed logins). */
const AUTH_ERRORS = new Set([1, 2, 3]);

/**
 * One API call. Resolves with the answer, or with `errors` for the error ids the caller handles (`handles`);
 * any other error answer throws HttpSourceError (status 401 for the credentials' errors, whatever HTTP said).
 */
export async function call(
  http: HttpSourceClient,
  method: string,
  params: Readonly<Record<string, string | number>>,
  stop: AbortSignal,
  handles: readonly number[] = [],
): Promise<{ res: HttpSourceResponse; errors?: HelpSpotError[] }> {
  const url = http.resolve(API_PATH, { method, output: 'json', ...params });
  const res = await http.getJson(url, { accept: [400, 401], signal: stop });
  if (res.status === 200) {
    // An answer that is not JSON is XML: output=json was not honoured (§6).
    return { res };
  }
  const errors = errorsOf(res.body);
  const shown = `GET ${http.origin}${new URL(url.href).pathname}?method=${method}`;
  const detail = http.mask(errors.map((e) => `HelpSpot error ${e.id}: ${e.description}`).join('; ') || JSON.stringify(res.body ?? '').slice(0, 200));
  if (res.status === 401 || errors.some((e) => AUTH_ERRORS.has(e.id))) {
    throw new HttpSourceError(`${shown}: HTTP ${res.status} ${detail}${res.status === 400 ? ' (HelpSpot refuses credentials with HTTP 400)' : ''}`, 401, detail);
  }
  if (errors.length > 0 && errors.every((e) => handles.includes(e.id))) return { res, errors };
  throw new HttpSourceError(`${shown}: HTTP ${res.status} ${detail}`, res.status, detail);
}

/** The values of a list HelpSpot may send as a list, one object, or an object keyed by id (§6 getAllStaff, getCategories). */
export function listOf(v: unknown): Array<Record<string, unknown>> {
  const items = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? (Object.values(v).every((x) => typeof x === 'object' && x !== null) ? Object.values(v) : [v]) : [];
  return items.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x));
}

/** The server's clock from the Date header (unix seconds), for getChanged's cursor. */
export function serverSeconds(date: string | null): number | undefined {
  if (date === null) return undefined;
  const ms = Date.parse(date);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
