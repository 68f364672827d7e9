/** Zendesk authentication: an API token (Basic "{email}/token:{token}") or an OAuth access token (Bearer). */
import type { IncomingMessage } from 'node:http';
import type { Answer } from './paging.js';

export interface Credentials {
  email: string;
  apiToken: string;
  oauthToken: string;
}

const COULD_NOT_AUTHENTICATE: Answer = {
  status: 401,
  body: { error: "Couldn't authenticate you" },
  headers: { 'www-authenticate': 'Basic realm="Web Password"' },
};

const INVALID_TOKEN: Answer = {
  status: 401,
  body: { error: 'invalid_token', error_description: 'The access token provided is expired, revoked, malformed or invalid for other reasons.' },
};

/** undefined when the request is authenticated, else the 401 to send. */
export function authenticate(req: IncomingMessage, creds: Credentials): Answer | undefined {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer) return bearer[1] === creds.oauthToken ? undefined : INVALID_TOKEN;
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1] ?? '', 'base64').toString('utf8');
    const sep = decoded.indexOf('/token:');
    if (sep > 0 && decoded.slice(0, sep).toLowerCase() === creds.email.toLowerCase() && decoded.slice(sep + '/token:'.length) === creds.apiToken) return undefined;
  }
  return COULD_NOT_AUTHENTICATE;
}
