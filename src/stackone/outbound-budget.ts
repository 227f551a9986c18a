import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AllConfig } from '../app.config';
import { StackOneApiError } from './stackone-api.error';

const FLEET_KEY = 'all';

/** One budget's counter (rate-limiter-flexible): consume rejects with a RateLimiterRes when it is spent. */
export interface Limiter {
  consume(key: string, points: number): Promise<unknown>;
  reward(key: string, points: number): Promise<unknown>;
}

/** Makes a budget of `points` a minute under `keyPrefix`; provided by the state layer (shared through Redis, per process during an outage). */
export type OutboundLimiters = (keyPrefix: string, points: number) => Limiter;
export const OUTBOUND_LIMITERS = Symbol('OUTBOUND_LIMITERS');

type Taken = { ok: true } | { ok: false; waitMs: number };

/**
 * The outbound StackOne budget (rate-limiter-flexible): one pool for the fleet
 * (STACKONE_RATE_LIMIT_PER_MINUTE) and, inside it, a ceiling per tenant
 * (STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE), both shared by the replicas through Redis.
 *
 * The tenant's ceiling is taken first, so a tenant over it never spends the fleet's points; a
 * tenant point taken when the fleet then refuses is given back. While Redis is unreachable both
 * are counted per process (the state layer), so the fleet may exceed them by its replica count.
 */
@Injectable()
export class OutboundBudget {
  private readonly fleet: Limiter;
  private readonly tenant?: Limiter;
  private readonly maxWaitMs: number;

  constructor(config: ConfigService<AllConfig, true>, @Inject(OUTBOUND_LIMITERS) limiters: OutboundLimiters) {
    const { rateLimitPerMinute, rateLimitPerTenantPerMinute, maxRetryAfterMs } = config.get('stackone', { infer: true });
    const { keyPrefix } = config.get('redis', { infer: true });
    this.maxWaitMs = maxRetryAfterMs;
    this.fleet = limiters(`${keyPrefix}stackone-out`, rateLimitPerMinute);
    // 0, or a ceiling at least the fleet's, is no ceiling.
    if (rateLimitPerTenantPerMinute > 0 && rateLimitPerTenantPerMinute < rateLimitPerMinute) {
      this.tenant = limiters(`${keyPrefix}stackone-out-tenant`, rateLimitPerTenantPerMinute);
    }
  }

  /**
   * One point of the tenant's ceiling and of the fleet's budget per attempt (`tenantId` undefined:
   * fleet only, for calls shared by every tenant). Waits when that fits the deadline and
   * STACKONE_MAX_RETRY_AFTER_MS; otherwise throws `tenant-rate-limited` (the tenant's ceiling) or `rate-limited` (the fleet's
   * budget) with the time to wait.
   */
  async take(operation: string, tenantId: string | undefined, deadline: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      let waitMs: number;
      let kind: 'rate-limited' | 'tenant-rate-limited' = 'rate-limited';
      const own = this.tenant && tenantId !== undefined ? await this.consume(this.tenant, tenantId, operation, signal) : undefined;
      if (own && !own.ok) {
        waitMs = own.waitMs;
        kind = 'tenant-rate-limited';
      } else {
        const fleet = await this.consume(this.fleet, FLEET_KEY, operation, signal);
        if (fleet.ok) return;
        waitMs = fleet.waitMs;
        if (own?.ok && this.tenant && tenantId !== undefined) await this.tenant.reward(tenantId, 1).catch(() => undefined);
      }
      if (waitMs > this.maxWaitMs || Date.now() + waitMs >= deadline) {
        throw new StackOneApiError(kind, operation, { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) });
      }
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) throw new StackOneApiError('timeout', operation);
    }
  }

  private async consume(target: Limiter, key: string, operation: string, signal: AbortSignal): Promise<Taken> {
    try {
      // The command timeout bounds the round trip; the deadline may still end it sooner.
      await untilAborted(target.consume(key, 1), signal);
      return { ok: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { ok: false, waitMs: rejection.msBeforeNext };
      if (signal.aborted) throw new StackOneApiError('timeout', operation);
      throw rejection;
    }
  }
}

/** The promise, or a rejection as soon as the signal fires (a stalled limiter store cannot outlive the deadline). */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = (): void => reject(new Error('aborted'));
  });
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
