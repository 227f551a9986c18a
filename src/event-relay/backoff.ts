/** The longest single wait, whatever the attempt: 2^30 × the base is far beyond any useful schedule. */
const MAX_EXPONENT = 30;
/** ±20 %: replicas and subscribers recovering together do not all retry in the same second. */
const JITTER = 0.2;

/**
 * How long to wait before the next attempt after `attemptsMade` failed ones (1 = the first failed):
 * base × 2^(attemptsMade − 1), ±20 % jitter. Both queues (BullMQ and memory) use this schedule.
 */
export function retryDelayMs(attemptsMade: number, baseMs: number, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attemptsMade - 1, 0), MAX_EXPONENT);
  const nominal = baseMs * 2 ** exponent;
  return Math.round(nominal * (1 - JITTER + 2 * JITTER * random()));
}

/** The nominal time from the first attempt to the last (no jitter): what EVENT_DELIVERY_MAX_ATTEMPTS buys. */
export function scheduleSpanMs(maxAttempts: number, baseMs: number): number {
  let total = 0;
  for (let made = 1; made < maxAttempts; made++) total += retryDelayMs(made, baseMs, () => 0.5);
  return total;
}
