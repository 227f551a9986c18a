import { retryDelayMs, scheduleSpanMs } from './backoff';

describe(retryDelayMs.name, () => {
  it('doubles from the base delay after each failed attempt', () => {
    const mid = (): number => 0.5;
    expect([1, 2, 3, 4, 10].map((made) => retryDelayMs(made, 5_000, mid))).toEqual([5_000, 10_000, 20_000, 40_000, 2_560_000]);
  });

  it('spreads each delay ±20 % with jitter', () => {
    expect(retryDelayMs(3, 1_000, () => 0)).toBe(3_200);
    expect(retryDelayMs(3, 1_000, () => 0.999_999)).toBe(4_800);
    const seen = new Set(Array.from({ length: 50 }, () => retryDelayMs(5, 1_000)));
    expect(seen.size).toBeGreaterThan(10);
    for (const d of seen) expect(d >= 12_800 && d <= 19_200).toBe(true);
  });

  it('never overflows, however many attempts', () => {
    expect(Number.isFinite(retryDelayMs(10_000, 5_000, () => 0.5))).toBe(true);
    expect(retryDelayMs(10_000, 1, () => 0.5)).toBe(2 ** 30);
  });
});

describe(scheduleSpanMs.name, () => {
  it('spans about a day with the defaults (15 attempts, 5 s base): 5 s × (2^14 − 1)', () => {
    const span = scheduleSpanMs(15, 5_000);
    expect(span).toBe(5_000 * (2 ** 14 - 1));
    expect(span / 3_600_000).toBeGreaterThan(20);
    expect(span / 3_600_000).toBeLessThan(26);
  });

  it('is nothing with a single attempt', () => {
    expect(scheduleSpanMs(1, 5_000)).toBe(0);
  });
});
