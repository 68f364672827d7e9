import { describe, expect, it } from 'vitest';
import { backoffDelay, RateLimiter, WindowLimiter, type Clock } from '../../src/http/ratelimit.js';

function fakeClock(): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(ms, 1);
    },
  };
  return c;
}

describe('RateLimiter', () => {
  it('never lets more than requestsPerMinute + one second’s burst through in any minute', async () => {
    const clock = fakeClock();
    const rl = new RateLimiter(120, clock);
    const starts: number[] = [];
    for (let i = 0; i < 400; i++) {
      await rl.acquire();
      starts.push(clock.t);
    }
    for (let i = 0; i < starts.length; i++) {
      const inWindow = starts.filter((s) => s >= starts[i]! && s < starts[i]! + 60_000).length;
      expect(inWindow).toBeLessThanOrEqual(122);
    }
    // and it keeps up: 400 requests at 120/min take about 200 s, not much more
    expect(clock.t).toBeLessThan(205_000);
  });

  it('pauses everyone until the reset time when the target says remaining is 0', async () => {
    const clock = fakeClock();
    const rl = new RateLimiter(6000, clock);
    await rl.acquire();
    rl.observe({ remaining: 0, resetAt: 30_000 });
    await rl.acquire();
    expect(clock.t).toBeGreaterThanOrEqual(30_000);
  });

  it('backoff uses full jitter under an exponential cap', () => {
    expect(backoffDelay(1, () => 0.999)).toBeLessThan(250);
    expect(backoffDelay(4, () => 0.999)).toBeLessThan(2000);
    expect(backoffDelay(4, () => 0.999)).toBeGreaterThan(1900);
    expect(backoffDelay(30, () => 0.999)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(3, () => 0)).toBe(0);
  });
});

describe('WindowLimiter', () => {
  it('lets a minute’s requests go at once, never more in any 60 s, and honours a pause', async () => {
    const clock = fakeClock();
    const wl = new WindowLimiter(10, clock);
    const starts: number[] = [];
    for (let i = 0; i < 35; i++) {
      await wl.acquire();
      starts.push(clock.t);
    }
    expect(starts.slice(0, 10).every((t) => t === 0)).toBe(true);
    for (const s of starts) expect(starts.filter((x) => x >= s && x < s + 60_000).length).toBeLessThanOrEqual(10);
    expect(starts[10]).toBe(60_000);
    expect(clock.t).toBe(180_000);
    wl.pauseUntil(clock.t + 500_000);
    await wl.acquire();
    expect(clock.t).toBeGreaterThanOrEqual(680_000);
  });
});
