import { ConflictException, HttpException, Inject, Injectable, UnprocessableEntityException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Tenant } from '../auth/tenant';
import { RetryLaterException } from '../common/problem.exception';
import { RequestValidationError } from '../common/request-validation.error';
import type { AllConfig } from '../app.config';
import { StateUnavailableError } from '../state/shared-state';
import { IDEMPOTENCY_STORE, IdempotencyStore, IdempotencyStoreFullError } from './idempotency.store';
import type { IdempotencyHeaders } from './idempotent.decorator';

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const MALFORMED_KEY = 'Idempotency-Key must be 1-255 visible ASCII characters.';

/**
 * 503 + Retry-After: without the store a retry could not be recognised, so the request is refused
 * before StackOne is called rather than risk a duplicate session.
 */
export class IdempotencyUnavailableError extends RetryLaterException {
  constructor(reason: 'unreachable' | 'full') {
    const message =
      reason === 'full'
        ? 'Too many Idempotency-Key requests are in flight to accept another one; retry after Retry-After seconds.'
        : 'Idempotency-Key requests cannot be checked right now; retry after Retry-After seconds (requests without the header are served).';
    super(message);
  }
}

export interface IdempotentOutcome<T> {
  value: T;
  replayed: boolean;
}

/** Stable JSON: the same body with keys in another order has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Idempotency-Key handling: a retry with the same key, tenant and body replays the first answer
 * without calling StackOne; another body under the same key is refused (422), a malformed key (400); a concurrent
 * duplicate waits for the first to finish instead of reaching StackOne. Failures are not stored,
 * so a retry after an error really retries. While the store is unreachable (Redis down or slow),
 * keyed requests get 503 with Retry-After and StackOne is not called.
 */
@Injectable()
export class IdempotencyService {
  private readonly ttlMs: number;
  private readonly pendingTtlMs: number;
  private readonly waitMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(IDEMPOTENCY_STORE) private readonly store: IdempotencyStore,
  ) {
    const settings = config.get('idempotency', { infer: true });
    this.ttlMs = settings.ttlSeconds * 1000;
    // A pending claim outlives the longest StackOne call, so a crashed replica frees the key.
    const { timeoutMs } = config.get('stackone', { infer: true });
    this.pendingTtlMs = timeoutMs + 5_000;
    // A duplicate waits about as long as the first request can take, and gives up (409) well before
    // the pending claim could expire, so it never starts a second StackOne call by itself.
    this.waitMs = timeoutMs + 1_000;
  }

  /**
   * A retry-safe route's answer: `work()` as is without an Idempotency-Key; with one, the first
   * answer for that key and body, replayed (and marked) on a retry.
   */
  async respond<T>(tenant: Tenant, headers: IdempotencyHeaders, body: unknown, work: () => Promise<T>, ttlCapFor?: (value: T) => number): Promise<T> {
    if (headers.key === undefined) return work();
    const { value, replayed } = await this.run(tenant, headers.key, body, work, ttlCapFor);
    if (replayed) headers.markReplayed();
    return value;
  }

  async run<T>(
    tenant: Tenant,
    key: string,
    body: unknown,
    work: () => Promise<T>,
    /** Caps how long the answer is replayed (e.g. not beyond the session's own expiry). */
    ttlCapFor?: (value: T) => number,
  ): Promise<IdempotentOutcome<T>> {
    // A malformed header is a bad request (400), like any other malformed field; 422 is kept for a
    // well-formed key reused with another body.
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) throw new RequestValidationError([{ field: 'Idempotency-Key', message: MALFORMED_KEY }], MALFORMED_KEY);
    const storeKey = `${tenant.id.length}:${tenant.id}:${createHash('sha256').update(key).digest('hex')}`;
    const fingerprint = createHash('sha256').update(canonicalJson(body)).digest('hex');
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const claim = await this.reach(() => this.store.claim(storeKey, fingerprint, this.pendingTtlMs));
      if (claim.claimed) break;
      const { record } = claim;
      if (record.fingerprint !== fingerprint) {
        throw new UnprocessableEntityException('This Idempotency-Key was already used with a different request body.');
      }
      if (record.state === 'done') return { value: record.body as T, replayed: true };
      if (Date.now() >= deadline) {
        throw new ConflictException('A request with this Idempotency-Key is still in progress; retry shortly.');
      }
      await sleep(50);
    }
    let value: T;
    try {
      value = await work();
    } catch (err) {
      await this.store.release(storeKey).catch(() => undefined);
      throw err instanceof HttpException || err instanceof Error ? err : new Error(String(err));
    }
    const ttl = Math.max(1, Math.min(this.ttlMs, ttlCapFor?.(value) ?? this.ttlMs));
    try {
      await this.store.complete(storeKey, { state: 'done', fingerprint, status: 201, body: value }, ttl);
    } catch {
      // The session exists: hand it over. The pending claim then blocks retries until it expires.
    }
    return { value, replayed: false };
  }

  /** A store call, or 503 when the store is known down, fails, times out or is full. */
  private async reach<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof StateUnavailableError) throw new IdempotencyUnavailableError('unreachable');
      throw err instanceof IdempotencyStoreFullError ? new IdempotencyUnavailableError('full') : err;
    }
  }
}
