/**
 * ULIDs: 26 Crockford base-32 characters (48-bit millisecond time, 80 bits of randomness). The
 * generator is monotonic: within one millisecond (or when the clock goes backwards) the random part
 * is incremented, so ids sort in creation order.
 */
import { getRandomValues } from 'node:crypto';

export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface UlidGenerator {
  next(): string;
}

export function createUlidGenerator(now: () => Date = () => new Date()): UlidGenerator {
  let lastMs = -1;
  const random: number[] = new Array<number>(16).fill(0);

  const freshRandom = (): void => {
    const bytes = getRandomValues(new Uint8Array(16));
    for (let i = 0; i < 16; i++) random[i] = (bytes[i] ?? 0) & 31;
    // Keep headroom so increments within one millisecond never overflow.
    random[0] = (random[0] ?? 0) & 15;
  };

  const increment = (): void => {
    for (let i = 15; i >= 0; i--) {
      const d = (random[i] ?? 0) + 1;
      if (d < 32) {
        random[i] = d;
        return;
      }
      random[i] = 0;
    }
  };

  return {
    next(): string {
      const ms = Math.max(0, Math.min(now().getTime(), 2 ** 48 - 1));
      if (ms > lastMs) {
        lastMs = ms;
        freshRandom();
      } else {
        increment();
      }
      let time = '';
      let t = lastMs;
      for (let i = 0; i < 10; i++) {
        time = CROCKFORD.charAt(t % 32) + time;
        t = Math.floor(t / 32);
      }
      let rnd = '';
      for (const d of random) rnd += CROCKFORD.charAt(d);
      return time + rnd;
    },
  };
}
