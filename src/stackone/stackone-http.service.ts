import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, OnApplicationShutdown, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AxiosRequestConfig } from 'axios';
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  handleWhen,
  IRetryBackoffContext,
  retry,
  TaskCancelledError,
} from 'cockatiel';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { firstValueFrom } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { AllConfig, StackOneConfig } from '../config/config.types';
import { REDIS, RedisClient } from '../redis/redis.module';
import { StackOneApiError } from './stackone-api.error';
import { STACKONE_OBSERVER, StackOneObserver } from './stackone.observer';
import {
  ConnectorMetaWire,
  ConnectSessionCreateWire,
  ConnectSessionTokenAuthLinkWire,
  LinkedAccountWire,
  ListAccountsQueryWire,
  PatchAccountWire,
} from './stackone.types';
import { TransportError, undiciAdapter } from './undici-adapter';
import {
  isConnectSession,
  isConnectSessionTokenAuthLink,
  isConnector,
  isConnectorList,
  isLinkedAccount,
  isLinkedAccountList,
  parseRetryAfter,
  upstreamMessage,
} from './stackone.wire-checks';

type Check<T> = (data: unknown) => data is T;
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);
const BACKOFF = { initialMs: 100, maxMs: 2_000 };

/**
 * The only code that talks to StackOne. Typed methods in and out; every failure becomes one
 * StackOneApiError (never an AxiosError, which carries the Authorization header).
 *
 * Resilience, with cockatiel (maintained, typed, composable policies, no hand-written loops):
 * one total deadline per call (AbortSignal: also ends a slow-drip body), retries with full-jitter
 * exponential backoff on connection errors, 408, 429 and 502/503/504 honouring Retry-After up to a
 * cap, a consecutive-failure circuit breaker, and an outbound rate limit (rate-limiter-flexible,
 * in Redis when configured so the whole fleet shares StackOne's per-key budget).
 */
@Injectable()
export class StackOneHttpService implements OnApplicationShutdown {
  private readonly logger = new Logger('StackOne');
  private readonly config: StackOneConfig;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly requestDefaults: AxiosRequestConfig;
  private readonly breaker: CircuitBreakerPolicy;
  private breakerOpenedAt = 0;
  private readonly limiter: RateLimiterMemory | RateLimiterRedis;

  constructor(
    private readonly http: HttpService,
    config: ConfigService<AllConfig, true>,
    @Inject(REDIS) redis: RedisClient,
    @Optional() @Inject(STACKONE_OBSERVER) private readonly observer: StackOneObserver = {},
  ) {
    this.config = config.get('stackone', { infer: true });
    const base = new URL(this.config.baseUrl);
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(base.origin, {
      connections: 256,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      connect: { timeout: this.config.connectTimeoutMs },
      headersTimeout: this.config.timeoutMs,
      bodyTimeout: this.config.timeoutMs,
    });
    this.requestDefaults = {
      adapter: undiciAdapter(this.pool, this.config.maxResponseBytes),
      responseType: 'text',
      transformResponse: [(data: unknown): unknown => data],
      validateStatus: (): boolean => true,
      maxRedirects: 0,
    };
    this.breaker = circuitBreaker(handleWhen(countsAgainstBreaker), {
      halfOpenAfter: this.config.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(this.config.breakerFailureThreshold),
    });
    this.breaker.onStateChange((state) => {
      const name = state === CircuitState.Open || state === CircuitState.Isolated ? 'open' : state === CircuitState.HalfOpen ? 'half-open' : 'closed';
      if (name === 'open') this.breakerOpenedAt = Date.now();
      if (name !== 'half-open') this.logger.warn(`StackOne circuit breaker ${name}`);
      this.observer.onBreakerStateChange?.(name);
    });
    const memory = new RateLimiterMemory({ points: this.config.rateLimitPerMinute, duration: 60, keyPrefix: 'stackone-out' });
    const { keyPrefix } = config.get('redis', { infer: true });
    this.limiter = redis
      ? new RateLimiterRedis({
          storeClient: redis,
          points: this.config.rateLimitPerMinute,
          duration: 60,
          keyPrefix: `${keyPrefix}stackone-out`,
          // If Redis fails, keep limiting per process rather than failing requests.
          insuranceLimiter: memory,
        })
      : memory;
  }

  createConnectSession(body: ConnectSessionCreateWire): Promise<ConnectSessionTokenAuthLinkWire> {
    return this.call('createConnectSession', { method: 'POST', url: '/connect_sessions', data: body }, isConnectSessionTokenAuthLink);
  }

  authenticateConnectSession(token: string): Promise<Omit<ConnectSessionTokenAuthLinkWire, 'token' | 'auth_link_url'>> {
    return this.call('authenticateConnectSession', { method: 'POST', url: '/connect_sessions/authenticate', data: { token } }, isConnectSession);
  }

  listAccounts(query: ListAccountsQueryWire): Promise<LinkedAccountWire[]> {
    return this.call('listAccounts', { method: 'GET', url: '/accounts', params: query }, isLinkedAccountList);
  }

  getAccount(id: string): Promise<LinkedAccountWire> {
    return this.call('getAccount', { method: 'GET', url: `/accounts/${encodeURIComponent(id)}` }, isLinkedAccount);
  }

  updateAccount(id: string, patch: PatchAccountWire): Promise<LinkedAccountWire> {
    return this.call('updateAccount', { method: 'PATCH', url: `/accounts/${encodeURIComponent(id)}`, data: patch }, isLinkedAccount);
  }

  deleteAccount(id: string): Promise<LinkedAccountWire> {
    return this.call('deleteAccount', { method: 'DELETE', url: `/accounts/${encodeURIComponent(id)}` }, isLinkedAccount);
  }

  listConnectors(): Promise<ConnectorMetaWire[]> {
    return this.call('listConnectors', { method: 'GET', url: '/connectors/meta' }, isConnectorList);
  }

  getConnector(provider: string): Promise<ConnectorMetaWire> {
    return this.call('getConnector', { method: 'GET', url: `/connectors/meta/${encodeURIComponent(provider)}` }, isConnector);
  }

  breakerState(): 'closed' | 'open' | 'half-open' {
    const s = this.breaker.state;
    return s === CircuitState.Closed ? 'closed' : s === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }

  private async call<T>(operation: string, request: AxiosRequestConfig, check: Check<T>): Promise<T> {
    const started = performance.now();
    const deadline = Date.now() + this.config.timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    let attempts = 0;
    const policy = retry(
      handleWhen((err) => this.worthRetrying(err, deadline)),
      {
        maxAttempts: this.config.maxRetries,
        backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => backoffDelay(ctx, this.config.maxRetryAfterMs)),
      },
    );
    const retryListener = policy.onRetry((e) => {
      const reason = 'error' in e && e.error instanceof StackOneApiError ? (e.error.status !== undefined ? String(e.error.status) : e.error.kind) : 'unknown';
      this.observer.onRetry?.({ operation, attempt: attempts, delayMs: Math.round(e.delay), reason });
    });
    try {
      const result = await policy.execute(
        () =>
          this.breaker.execute(() => {
            attempts += 1;
            return this.attempt(operation, request, check, controller.signal, deadline, attempts);
          }),
        controller.signal,
      );
      this.observer.onCallComplete?.({ operation, outcome: 'ok', attempts, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const error = this.toApiError(err, operation, attempts);
      this.observer.onCallComplete?.({ operation, outcome: error.kind, attempts, durationMs: performance.now() - started, status: error.status });
      throw error;
    } finally {
      clearTimeout(timer);
      retryListener.dispose();
    }
  }

  private async attempt<T>(
    operation: string,
    request: AxiosRequestConfig,
    check: Check<T>,
    signal: AbortSignal,
    deadline: number,
    attempt: number,
  ): Promise<T> {
    await this.takeBudget(operation, deadline);
    const started = performance.now();
    const report = (outcome: 'ok' | 'http-error' | 'timeout' | 'network' | 'invalid-response', status?: number): void =>
      this.observer.onAttempt?.({ operation, attempt, status, outcome, durationMs: performance.now() - started });
    let response;
    try {
      response = await firstValueFrom(
        this.http.request<string>({ ...this.requestDefaults, ...request, url: `${this.basePath}${request.url ?? ''}`, signal }),
      );
    } catch (err) {
      // axios replaces an adapter error with its own CanceledError once the signal has fired.
      const transport = err instanceof TransportError ? err : new TransportError(signal.aborted ? 'timeout' : 'network', 'unknown');
      if (transport.kind === 'too-large') {
        report('invalid-response');
        throw new StackOneApiError('invalid-response', operation, { attempts: attempt });
      }
      report(transport.kind);
      throw new StackOneApiError(transport.kind, operation, { attempts: attempt });
    }
    const { status } = response;
    const body = typeof response.data === 'string' ? response.data : '';
    if (status >= 200 && status < 300) {
      const data = parseJson(body);
      if (!check(data)) {
        report('invalid-response', status);
        throw new StackOneApiError('invalid-response', operation, { status, attempts: attempt });
      }
      report('ok', status);
      return data;
    }
    if (status >= 300 && status < 400) {
      // Never followed: a redirect from StackOne is unexpected and may point anywhere.
      report('invalid-response', status);
      throw new StackOneApiError('invalid-response', operation, { status, attempts: attempt });
    }
    report('http-error', status);
    const headers = response.headers as Record<string, unknown>;
    throw new StackOneApiError('http', operation, {
      status,
      upstreamMessage: upstreamMessage(parseJson(body)),
      retryAfterSeconds: parseRetryAfter(headers['retry-after']),
      upstreamRequestId: typeof headers['x-request-id'] === 'string' ? headers['x-request-id'].slice(0, 128) : undefined,
      attempts: attempt,
    });
  }

  /** One point of the fleet's budget per attempt; waits briefly when that fits the deadline. */
  private async takeBudget(operation: string, deadline: number): Promise<void> {
    for (;;) {
      try {
        await this.limiter.consume('all', 1);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        const wait = rejection.msBeforeNext;
        if (wait > this.config.maxRetryAfterMs || Date.now() + wait >= deadline) {
          throw new StackOneApiError('rate-limited', operation, { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) });
        }
        await sleep(wait);
      }
    }
  }

  private worthRetrying(err: unknown, deadline: number): boolean {
    if (!(err instanceof StackOneApiError)) return false;
    const retryable = err.kind === 'network' || (err.kind === 'http' && RETRYABLE_STATUS.has(err.status ?? 0));
    if (!retryable) return false;
    const retryAfterMs = (err.options.retryAfterSeconds ?? 0) * 1000;
    // A Retry-After we cannot honour inside the deadline: answer now, passing it on.
    return retryAfterMs <= this.config.maxRetryAfterMs && Date.now() + retryAfterMs < deadline;
  }

  private toApiError(err: unknown, operation: string, attempts: number): StackOneApiError {
    if (err instanceof StackOneApiError) return err;
    if (err instanceof BrokenCircuitError) {
      const remaining = this.breakerOpenedAt + this.config.breakerCooldownMs - Date.now();
      return new StackOneApiError('circuit-open', operation, { retryAfterSeconds: Math.max(1, Math.ceil(remaining / 1000)), attempts });
    }
    if (err instanceof TaskCancelledError) return new StackOneApiError('timeout', operation, { attempts });
    this.logger.error(`Unexpected failure calling StackOne ${operation}: ${err instanceof Error ? err.name : typeof err}`);
    return new StackOneApiError('network', operation, { attempts });
  }
}

/** 5xx, timeouts, connection failures and broken answers open the breaker; 4xx (incl. 429) do not. */
function countsAgainstBreaker(err: unknown): boolean {
  if (!(err instanceof StackOneApiError)) return false;
  if (err.kind === 'http') return (err.status ?? 0) >= 500;
  return err.kind === 'timeout' || err.kind === 'network' || err.kind === 'invalid-response';
}

function backoffDelay(ctx: IRetryBackoffContext<unknown>, maxRetryAfterMs: number): number {
  const error = 'error' in ctx.result ? ctx.result.error : undefined;
  const retryAfter = error instanceof StackOneApiError ? error.options.retryAfterSeconds : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter * 1000, maxRetryAfterMs);
  // Full jitter: uniformly random up to the exponential ceiling.
  const ceiling = Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (ctx.attempt - 1));
  return Math.random() * ceiling;
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
