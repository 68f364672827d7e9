/**
 * Advisory lock keys. PostgreSQL's advisory locks are one space per database, so a key must not collide
 * across schemas or migrations: Terraform's pg backend keyed them by a per-schema sequence and two
 * schemas' first states locked each other (hashicorp/terraform#22833). Here a key is the first 8 bytes
 * of sha256 over what it locks, as a signed 64-bit integer (passed as text, cast to bigint).
 */
import { createHash } from 'node:crypto';

export function advisoryKey(...parts: string[]): string {
  const h = createHash('sha256').update(['plain-migrate', ...parts].join('\u0000')).digest();
  return h.readBigInt64BE(0).toString();
}
