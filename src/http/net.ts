/**
 * HTTP helpers shared by fetch and upload: the form of a URL that may appear in errors and logs
 * (origin and path: query strings and fragments often carry tokens, userinfo carries passwords),
 * which attachments.fetch rule's headers a URL gets (the first whose prefix it starts with),
 * Retry-After, and the short system code of a failed connection.
 */

export interface FetchRule {
  readonly prefix: string;
  /** Request headers for URLs under `prefix`. Values are secrets: never logged, never in errors. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * How the answer holds the file (connections only, never the manifest): `json-base64` — JSON
   * `{"data": "<base64>"}`, the file being the decoded data (Help Scout's attachment data link).
   */
  readonly body?: 'json-base64';
}

/** `https://host/path` without userinfo, query string or fragment; "(invalid URL)" when unparsable. */
export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '(invalid URL)';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${u.protocol}…`;
  return `${u.origin}${u.pathname}`;
}

/**
 * The first rule whose prefix the URL starts with, comparing normalized forms (so host case and a
 * default port do not matter) and requiring the same origin (so the prefix `https://acme.com`
 * does not match `https://acme.com.evil.example/`). Prefixes that are not URLs match nothing.
 */
export function matchFetchRule(url: URL, rules: readonly FetchRule[] | undefined): FetchRule | undefined {
  for (const rule of rules ?? []) {
    let p: URL;
    try {
      p = new URL(rule.prefix);
    } catch {
      continue;
    }
    if (p.origin !== url.origin) continue;
    if (url.href.startsWith(p.href)) return rule;
  }
  return undefined;
}

/** Retry-After (seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function parseRetryAfter(v: string | null, now: number = Date.now()): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The system code of a failed connection (ECONNREFUSED, UND_ERR_SOCKET, …) from the error or its
 * causes. Only the code: the platform's full text can quote a URL with its query string.
 */
export function networkCode(e: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let c: unknown = e; c !== null && typeof c === 'object' && !seen.has(c); c = (c as { cause?: unknown }).cause) {
    seen.add(c);
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return code;
  }
  return undefined;
}
