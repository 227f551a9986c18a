import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
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
} from 'cockatiel';
import { AllConfig, StackOneConfig } from '../config/config.types';
import { OutboundBudget } from './outbound-budget';
import { StackOneApiError } from './stackone-api.error';
import { AttemptOutcome, STACKONE_OBSERVER, StackOneObserver } from './stackone.observer';
import {
  ConnectorMetaWire,
  ConnectSessionCreateWire,
  ConnectSessionTokenAuthLinkWire,
  ConnectSessionWire,
  LinkedAccountWire,
  ListAccountsQueryWire,
  PatchAccountWire,
} from './stackone.types';
import { pathSegment, TransportError } from './undici-adapter';
import {
  isConnectSession,
  isConnectSessionTokenAuthLink,
  isConnector,
  isConnectorList,
  isLinkedAccount,
  isLinkedAccountList,
  parseRetryAfter,
  upstreamMessage,
  upstreamRequestId,
} from './stackone.wire-checks';

export type BreakerState = 'closed' | 'open' | 'half-open';
type Check<T> = (data: unknown) => data is T;

/** Statuses worth another attempt; 500/501 and every other 4xx are answers, not blips. */
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);
const BACKOFF = { initialMs: 100, maxMs: 2_000 };

/**
 * The only code that talks to StackOne. Typed methods in and out; every failure becomes one
 * StackOneApiError (never an AxiosError, which carries the Authorization header).
 *
 * Per call: one total deadline (an AbortSignal that ends every attempt, backoff and limiter wait,
 * including a slow-drip body) → circuit breaker pre-check → outbound budget point (the tenant's
 * ceiling and the fleet's pool, see OutboundBudget) → circuit breaker (cockatiel) → retry
 * (cockatiel) → one HTTP attempt, each retry taking its own budget point. Tenant-scoped methods
 * take the tenant id as a value; the connector catalogue, shared by every tenant, counts against
 * the fleet's pool only.
 *
 * cockatiel rather than a hand-written loop: it is maintained, typed, and its retry and breaker
 * policies compose (`execute` of one inside the other) with an AbortSignal, so the deadline,
 * backoff, Retry-After and breaker rules stay declarative and testable.
 * The breaker wraps the whole retried call, so it counts consecutive failed calls, not attempts.
 * The first rate limit point is taken outside it so that a refusal by our own limiter is neither a
 * StackOne failure nor (cockatiel treats unhandled errors as success) a half-open probe success.
 */
@Injectable()
export class StackOneHttpService {
  private readonly logger = new Logger('StackOne');
  private readonly config: StackOneConfig;
  private readonly secrets: readonly string[];
  private readonly breaker: CircuitBreakerPolicy;
  private breakerOpenedAt = 0;
  /** How often the breaker has opened: a call stops retrying once it opened after the call began. */
  private breakerOpenings = 0;

  constructor(
    private readonly http: HttpService,
    config: ConfigService<AllConfig, true>,
    private readonly budget: OutboundBudget,
    @Optional() @Inject(STACKONE_OBSERVER) private readonly observer: StackOneObserver | null = null,
  ) {
    this.config = config.get('stackone', { infer: true });
    const { apiKey } = this.config;
    this.secrets = [apiKey, Buffer.from(`${apiKey}:`).toString('base64')];

    this.breaker = circuitBreaker(handleWhen((err) => err instanceof FailedCall), {
      halfOpenAfter: this.config.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(this.config.breakerFailureThreshold),
    });
    this.breaker.onStateChange((state) => {
      const name = toBreakerState(state);
      if (name === 'open') {
        this.breakerOpenedAt = Date.now();
        this.breakerOpenings += 1;
      }
      if (name !== 'half-open') this.logger.warn(`StackOne circuit breaker ${name}`);
      this.notify('onBreakerStateChange', name);
    });
  }

  createConnectSession(tenantId: string, body: ConnectSessionCreateWire): Promise<ConnectSessionTokenAuthLinkWire> {
    return this.call('createConnectSession', tenantId, { method: 'POST', url: '/connect_sessions', data: body }, isConnectSessionTokenAuthLink);
  }

  authenticateConnectSession(tenantId: string, token: string): Promise<ConnectSessionWire> {
    return this.call('authenticateConnectSession', tenantId, { method: 'POST', url: '/connect_sessions/authenticate', data: { token } }, isConnectSession);
  }

  listAccounts(tenantId: string, query: ListAccountsQueryWire): Promise<LinkedAccountWire[]> {
    return this.call('listAccounts', tenantId, { method: 'GET', url: '/accounts', params: query }, isLinkedAccountList);
  }

  getAccount(tenantId: string, id: string): Promise<LinkedAccountWire> {
    return this.call('getAccount', tenantId, { method: 'GET', url: `/accounts/${pathSegment(id)}` }, isLinkedAccount);
  }

  updateAccount(tenantId: string, id: string, patch: PatchAccountWire): Promise<LinkedAccountWire> {
    return this.call('updateAccount', tenantId, { method: 'PATCH', url: `/accounts/${pathSegment(id)}`, data: patch }, isLinkedAccount);
  }

  deleteAccount(tenantId: string, id: string): Promise<LinkedAccountWire> {
    return this.call('deleteAccount', tenantId, { method: 'DELETE', url: `/accounts/${pathSegment(id)}` }, isLinkedAccount);
  }

  listConnectors(): Promise<ConnectorMetaWire[]> {
    return this.call('listConnectors', undefined, { method: 'GET', url: '/connectors/meta' }, isConnectorList);
  }

  getConnector(provider: string): Promise<ConnectorMetaWire> {
    return this.call('getConnector', undefined, { method: 'GET', url: `/connectors/meta/${pathSegment(provider)}` }, isConnector);
  }

  /** cockatiel's view: stays 'open' after the cool-down until the next call becomes the probe. */
  breakerState(): BreakerState {
    return toBreakerState(this.breaker.state);
  }

  private async call<T>(operation: string, tenantId: string | undefined, request: AxiosRequestConfig, check: Check<T>): Promise<T> {
    const started = performance.now();
    const deadline = Date.now() + this.config.timeoutMs;
    const controller = new AbortController();
    const { signal } = controller;
    const timer = setTimeout(() => controller.abort(), this.config.timeoutMs);
    let attempts = 0;
    let lastError: StackOneApiError | undefined;

    const policy = retry(
      handleWhen((err) => this.worthRetrying(err, deadline)),
      {
        maxAttempts: this.config.maxRetries,
        backoff: new DelegateBackoff((ctx: IRetryBackoffContext<unknown>) => backoffDelay(ctx, deadline)),
      },
    );
    const retryListener = policy.onRetry((e) => {
      const error = 'error' in e ? e.error : undefined;
      const reason = error instanceof StackOneApiError ? (error.kind === 'http' ? String(error.status) : error.kind) : 'unknown';
      this.notify('onRetry', { operation, attempt: attempts, delayMs: Math.round(e.delay), reason });
    });

    try {
      this.admitThroughBreaker(operation);
      await this.budget.take(operation, tenantId, deadline, signal);
      this.admitThroughBreaker(operation);
      const openings = this.breakerOpenings;
      // StackOne's last answer in this call (an error from one HTTP attempt): what the breaker judges.
      let lastAnswer: StackOneApiError | undefined;
      const result = await this.breaker.execute(async () => {
        try {
          return await policy.execute(async () => {
            try {
              // cockatiel's backoff sleep ignores the signal; never start an attempt past the deadline.
              if (signal.aborted) throw lastError ?? new StackOneApiError('timeout', operation);
              if (attempts > 0) {
                this.stopIfBreakerReopened(operation, openings);
                await this.budget.take(operation, tenantId, deadline, signal);
                this.stopIfBreakerReopened(operation, openings);
              }
              const attempt = ++attempts;
              try {
                return await this.attempt(operation, request, check, signal, attempt);
              } catch (err) {
                lastAnswer = this.toApiError(err, operation);
                throw lastAnswer;
              }
            } catch (err) {
              lastError = this.toApiError(err, operation);
              throw lastError;
            }
          }, signal);
        } catch (err) {
          // One verdict per call, once its retries are over: a failure when StackOne's last answer
          // was one, even if the call then ended on our own deadline, budget or breaker.
          throw lastAnswer !== undefined && countsAgainstBreaker(lastAnswer) ? new FailedCall(err) : err;
        }
      });
      this.notify('onCallComplete', { operation, outcome: 'ok', attempts, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const failure = this.toApiError(err instanceof FailedCall ? err.error : err, operation);
      const error = new StackOneApiError(failure.kind, operation, { ...failure.options, attempts });
      this.notify('onCallComplete', { operation, outcome: error.kind, attempts, durationMs: performance.now() - started, status: error.status });
      throw error;
    } finally {
      clearTimeout(timer);
      retryListener.dispose();
    }
  }

  private async attempt<T>(operation: string, request: AxiosRequestConfig, check: Check<T>, signal: AbortSignal, attempt: number): Promise<T> {
    const started = performance.now();
    const report = (outcome: AttemptOutcome, status?: number): void =>
      this.notify('onAttempt', { operation, attempt, status, outcome, durationMs: performance.now() - started });
    let response: AxiosResponse<string>;
    try {
      // The HttpService's axios instance, called for its promise: `http.request()` would wrap it in
      // an Observable and a CancelToken that is cancelled, building a CanceledError with a stack,
      // after every answer. Cancellation here is the AbortSignal (the total deadline).
      response = await this.http.axiosRef.request<string>({ ...request, signal });
    } catch (err) {
      // axios swaps an adapter error for its own CanceledError once the signal has fired; anything
      // else that is not ours (an AxiosError carries the Authorization header) is dropped here.
      const transport = err instanceof TransportError ? err : new TransportError(signal.aborted ? 'timeout' : 'network', 'unknown');
      const kind = transport.kind === 'too-large' ? 'invalid-response' : transport.kind;
      report(kind);
      throw new StackOneApiError(kind, operation);
    }
    const { status } = response;
    const body = typeof response.data === 'string' ? response.data : '';
    if (status >= 200 && status < 300) {
      const data = parseJson(body);
      if (!check(data)) {
        report('invalid-response', status);
        throw new StackOneApiError('invalid-response', operation, { status });
      }
      report('ok', status);
      return data;
    }
    const headers = response.headers as Record<string, unknown>;
    const requestId = upstreamRequestId(headers);
    if (status >= 300 && status < 400) {
      // Never followed: a redirect from StackOne is unexpected and may point anywhere.
      report('invalid-response', status);
      throw new StackOneApiError('invalid-response', operation, { status, upstreamRequestId: requestId });
    }
    report('http-error', status);
    throw new StackOneApiError('http', operation, {
      status,
      upstreamMessage: upstreamMessage(parseJson(body), this.secrets),
      retryAfterSeconds: parseRetryAfter(headers['retry-after']),
      upstreamRequestId: requestId,
    });
  }

  /**
   * Fails fast while the breaker is open (cool-down running) or a half-open probe is in flight:
   * cockatiel would otherwise park this call until the probe settles, past our own deadline.
   */
  private admitThroughBreaker(operation: string): void {
    const state = this.breaker.state;
    const remaining = this.breakerOpenedAt + this.config.breakerCooldownMs - Date.now();
    if (state === CircuitState.HalfOpen || state === CircuitState.Isolated || (state === CircuitState.Open && remaining > 0)) {
      throw this.circuitOpen(operation);
    }
  }

  /** A call that began before another call opened the breaker makes no further attempts. */
  private stopIfBreakerReopened(operation: string, openingsAtStart: number): void {
    if (this.breakerOpenings !== openingsAtStart) throw this.circuitOpen(operation);
  }

  private circuitOpen(operation: string): StackOneApiError {
    const remaining = this.breakerOpenedAt + this.config.breakerCooldownMs - Date.now();
    return new StackOneApiError('circuit-open', operation, { retryAfterSeconds: Math.max(1, Math.ceil(remaining / 1000)) });
  }

  private worthRetrying(err: unknown, deadline: number): boolean {
    if (!(err instanceof StackOneApiError)) return false;
    const retryable = err.kind === 'network' || (err.kind === 'http' && RETRYABLE_STATUS.has(err.status ?? 0));
    if (!retryable) return false;
    const retryAfterMs = (err.options.retryAfterSeconds ?? 0) * 1000;
    // A Retry-After we cannot honour inside the cap and the deadline: answer now, passing it on.
    return retryAfterMs <= this.config.maxRetryAfterMs && Date.now() + retryAfterMs < deadline;
  }

  private toApiError(err: unknown, operation: string): StackOneApiError {
    if (err instanceof StackOneApiError) return err;
    if (err instanceof BrokenCircuitError) return this.circuitOpen(operation);
    // Only the class name: an unknown error may hold request config (headers) in its fields.
    this.logger.error(`Unexpected failure calling StackOne ${operation}: ${err instanceof Error ? err.name : typeof err}`);
    return new StackOneApiError('network', operation);
  }

  /** Observers must never break or slow a call: their errors are swallowed. */
  private notify<K extends keyof StackOneObserver>(hook: K, event: Parameters<NonNullable<StackOneObserver[K]>>[0]): void {
    const fn = this.observer?.[hook] as ((e: typeof event) => void) | undefined;
    if (!fn) return;
    try {
      fn.call(this.observer, event);
    } catch {
      // An observer bug is not a StackOne failure.
    }
  }
}

function toBreakerState(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  return state === CircuitState.HalfOpen ? 'half-open' : 'open';
}

/** What the breaker counts: one call whose retries ended in a failure that counts against StackOne. */
class FailedCall extends Error {
  override readonly name = 'FailedCall';

  constructor(readonly error: unknown) {
    super('StackOne call failed');
  }
}

/** 5xx, timeouts and connection failures open the breaker; 4xx (incl. 429) and broken bodies do not. */
function countsAgainstBreaker(err: unknown): boolean {
  if (!(err instanceof StackOneApiError)) return false;
  if (err.kind === 'http') return (err.status ?? 0) >= 500;
  return err.kind === 'timeout' || err.kind === 'network';
}

/** Retry-After when StackOne sent one (already checked against cap and deadline), else full jitter; never past the deadline. */
function backoffDelay(ctx: IRetryBackoffContext<unknown>, deadline: number): number {
  const error = 'error' in ctx.result ? ctx.result.error : undefined;
  const retryAfter = error instanceof StackOneApiError ? error.options.retryAfterSeconds : undefined;
  const delay =
    retryAfter !== undefined ? retryAfter * 1000 : Math.random() * Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (ctx.attempt - 1));
  return Math.max(0, Math.min(delay, deadline - Date.now()));
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
