/** The Plain error shape and content-type check; the generic node:http helpers live in ../common/http.ts. */
import type { ServerResponse } from 'node:http';
import { sendJson } from '../common/http.js';

export { BodyTooLarge, MAX_BODY_BYTES, readBody, readBodyBuffer, sendJson, destroyConnection, sleep } from '../common/http.js';

/** `{"errors":[{"message":..., "extensions":{"code":...}}]}` */
export function sendError(res: ServerResponse, status: number, message: string, code: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] }, headers);
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = (value.split(';')[0] ?? '').trim().toLowerCase();
  return type === 'application/json' || type === 'application/graphql-response+json';
}
