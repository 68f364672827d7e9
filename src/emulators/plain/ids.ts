/**
 * Plain-style ids: `<prefix>_` + 26 Crockford base-32 characters (a ULID: 48-bit millisecond time,
 * 80 bits of randomness). The generator is monotonic: within one millisecond (or when the clock goes
 * backwards) the random part is incremented, so ids sort in creation order.
 */
import { createUlidGenerator } from '../common/ulid.js';

export { CROCKFORD } from '../common/ulid.js';

/** `tf` = thread field value (Plain's docs); `tfs` = thread field schema (not documented: the emulator's choice). */
export type IdPrefix = 'c' | 'th' | 'u' | 'mu' | 'lt' | 'te' | 't' | 'n' | 'att' | 'l' | 'tf' | 'tfs';

export const ID_PATTERN = /^[a-zA-Z]+_[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$/;

export function isPlainId(value: string, prefix: IdPrefix): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}

export interface IdGenerator {
  next(prefix: IdPrefix): string;
}

export function createIdGenerator(now: () => Date = () => new Date()): IdGenerator {
  const ulid = createUlidGenerator(now);
  return { next: (prefix: IdPrefix): string => `${prefix}_${ulid.next()}` };
}
