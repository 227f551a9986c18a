import { HttpService } from '@nestjs/axios';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { BrokenCircuitError, circuitBreaker, CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, handleWhen, retry, RetryPolicy } from 'cockatiel';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AllConfig } from '../app.config';
import type { StackOneConfig } from './stackone.config';
import { OutboundBudget } from './outbound-budget';
import { StackOneApiError } from './stackone-api.error';
import { AttemptOutcome, STACKONE_OBSERVER, StackOneObserver } from './stackone.observer';
import {
  ConnectorMetaWire,
  ConnectSessionCreateWire,
  ConnectSessionTokenAuthLinkWire,
  LinkedAccountWire,
  ListAccountsQueryWire,
  PatchAccountWire,
} from './stackone.types';
import {
  isConnectorList,
  isConnectSessionTokenAuthLink,
  isLinkedAccount,
  isLinkedAccountList,
  parseRetryAfter,
  upstreamMessage,
  upstreamRequestId,
} from './stackone.wire-checks';
import { countsAgainstBreaker, retryAfterMs, transportFailure } from './failure-kinds';
import { parseJson, pathSegment, withQuery } from './wire-request';

type Check<T> = (data: unknown) => data is T;
type UpstreamRequest = Pick<AxiosRequestConfig, 'method' | 'url' | 'data' | 'headers'>;

/** Statuses worth another attempt; 500/501 and every other 4xx are answers, not blips. */
const RETRYABLE_STATUS = new Set([408, 429, 502, 503, 504]);
const BACKOFF = { initialMs: 100, maxMs: 2_000 };
const JSON_BODY = { 'Content-Type': 'application/json' };

/** One call: its deadline, and what its attempts have seen. */
interface Call {
  readonly operation: string;
  readonly tenantId: string | undefined;
  readonly deadline: number;
  /** Aborted at the deadline, or when the last answer cannot be retried within it: no further attempt. */
  readonly ended: AbortController;
  attempts: number;
  /** The breaker's state as the first attempt began: a change means another call opened it. */
  breakerAtStart?: CircuitState;
  /** The last attempt's failure (StackOne's answer, or the connection's): what retry and breaker judge. */
  lastAnswer?: StackOneApiError;
  /** The error the caller gets when the breaker was shown `lastAnswer` instead. */
  outcome?: unknown;
}

/**
 * The only code that talks to StackOne: typed methods over one transport call (`call`). Every
 * failure leaves as one StackOneApiError, never an AxiosError (which carries the Authorization header).
 *
 * Per call: one total deadline (an AbortSignal ending every attempt, backoff and budget wait, a
 * slow-drip body included) → breaker pre-check → outbound budget point → circuit breaker →
 * retry → one HTTP attempt; each retry takes its own budget point. The breaker (cockatiel) wraps
 * the retried call, so it counts consecutive failed calls, not attempts; the first budget point is
 * taken outside it, so our own refusal is neither a StackOne failure nor a half-open probe's success.
 * Tenant-scoped methods take the tenant id; the connector catalogue counts against the fleet only.
 */
@Injectable()
export class StackOneHttpService {
  private readonly logger = new Logger('StackOne');
  private readonly config: StackOneConfig;
  private readonly secrets: readonly string[];
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retry: RetryPolicy;
  /** When the breaker last opened: circuit-open answers carry the cool-down's remainder as Retry-After. */
  private openedAt = 0;

  constructor(
    private readonly http: HttpService,
    config: ConfigService<AllConfig, true>,
    private readonly budget: OutboundBudget,
    @Inject(STACKONE_OBSERVER) private readonly observer: StackOneObserver,
  ) {
    this.config = config.get('stackone', { infer: true });
    const { apiKey } = this.config;
    this.secrets = [apiKey, Buffer.from(`${apiKey}:`).toString('base64')];

    this.breaker = circuitBreaker(handleWhen(countsAgainstBreaker), {
      halfOpenAfter: this.config.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(this.config.breakerFailureThreshold),
    });
    this.breaker.onStateChange((state) => {
      const name = state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half-open' : 'open';
      if (name === 'open') this.openedAt = Date.now();
      if (name !== 'half-open') this.logger.warn(`StackOne circuit breaker ${name}`);
      this.notify('onBreakerStateChange', name);
    });
    // No backoff here: each retry waits in `beforeRetry`, where the call's deadline can cut the wait short.
    this.retry = retry(
      handleWhen((err) => this.retryable(err)),
      { maxAttempts: this.config.maxRetries },
    );
  }

  createConnectSession(tenantId: string, body: ConnectSessionCreateWire): Promise<ConnectSessionTokenAuthLinkWire> {
    return this.call('createConnectSession', tenantId, { method: 'POST', url: '/connect_sessions', data: JSON.stringify(body), headers: JSON_BODY }, isConnectSessionTokenAuthLink);
  }

  listAccounts(tenantId: string, query: ListAccountsQueryWire): Promise<LinkedAccountWire[]> {
    return this.call('listAccounts', tenantId, { method: 'GET', url: withQuery('/accounts', query) }, isLinkedAccountList);
  }

  /** Every owner's accounts (the reconciliation sweep): the fleet's budget only, no tenant's ceiling. */
  listProjectAccounts(query: Pick<ListAccountsQueryWire, 'page' | 'page_size'>): Promise<LinkedAccountWire[]> {
    return this.call('listProjectAccounts', undefined, { method: 'GET', url: withQuery('/accounts', query) }, isLinkedAccountList);
  }

  getAccount(tenantId: string, id: string): Promise<LinkedAccountWire> {
    return this.call('getAccount', tenantId, { method: 'GET', url: `/accounts/${pathSegment(id)}` }, isLinkedAccount);
  }

  updateAccount(tenantId: string, id: string, patch: PatchAccountWire): Promise<LinkedAccountWire> {
    return this.call('updateAccount', tenantId, { method: 'PATCH', url: `/accounts/${pathSegment(id)}`, data: JSON.stringify(patch), headers: JSON_BODY }, isLinkedAccount);
  }

  deleteAccount(tenantId: string, id: string): Promise<LinkedAccountWire> {
    return this.call('deleteAccount', tenantId, { method: 'DELETE', url: `/accounts/${pathSegment(id)}` }, isLinkedAccount);
  }

  listConnectors(): Promise<ConnectorMetaWire[]> {
    return this.call('listConnectors', undefined, { method: 'GET', url: '/connectors/meta' }, isConnectorList);
  }

  private async call<T>(operation: string, tenantId: string | undefined, request: UpstreamRequest, check: Check<T>): Promise<T> {
    const started = performance.now();
    const call: Call = { operation, tenantId, deadline: Date.now() + this.config.timeoutMs, ended: new AbortController(), attempts: 0 };
    const timer = setTimeout(() => call.ended.abort(), this.config.timeoutMs);
    try {
      this.admit(operation);
      await this.budget.take(operation, tenantId, call.deadline, call.ended.signal);
      // The budget may have waited: the breaker may have opened, or a probe started, meanwhile.
      this.admit(operation);
      const result = await this.breaker.execute(() => this.retried(call, request, check));
      this.notify('onCallComplete', { operation, outcome: 'ok', attempts: call.attempts, durationMs: performance.now() - started });
      return result;
    } catch (err) {
      const error = this.toApiError(call.outcome ?? err, operation);
      error.options.attempts = call.attempts;
      this.notify('onCallComplete', { operation, outcome: error.kind, attempts: call.attempts, durationMs: performance.now() - started, status: error.status });
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The retried call, as the breaker sees it: failed when StackOne's last answer was a failure, even
   * if the call then ended on our own deadline, budget or breaker (the caller gets that error).
   */
  private async retried<T>(call: Call, request: UpstreamRequest, check: Check<T>): Promise<T> {
    try {
      return await this.retry.execute(({ attempt }) => this.attempt(call, attempt, request, check), call.ended.signal);
    } catch (err) {
      const last = call.lastAnswer;
      if (last === undefined || err === last || !countsAgainstBreaker(last)) throw err;
      call.outcome = err;
      throw last;
    }
  }

  private async attempt<T>(call: Call, retryNo: number, request: UpstreamRequest, check: Check<T>): Promise<T> {
    if (retryNo === 0) call.breakerAtStart = this.breaker.state;
    else await this.beforeRetry(call);
    call.attempts += 1;
    try {
      return await this.send(call, request, check);
    } catch (err) {
      const answer = err as StackOneApiError;
      call.lastAnswer = answer;
      // A Retry-After past the deadline: answer now, passing it on, rather than wait and time out.
      if (this.retryable(answer) && Date.now() + retryAfterMs(answer) >= call.deadline) call.ended.abort();
      throw answer;
    }
  }

  /** The wait before a retry (Retry-After, else full jitter), then the breaker and the budget. */
  private async beforeRetry(call: Call): Promise<void> {
    const last = call.lastAnswer as StackOneApiError;
    const waitMs = last.options.retryAfterSeconds !== undefined ? retryAfterMs(last) : Math.random() * Math.min(BACKOFF.maxMs, BACKOFF.initialMs * 2 ** (call.attempts - 1));
    const delayMs = Math.max(0, Math.min(waitMs, call.deadline - Date.now()));
    const reason = last.kind === 'http' ? String(last.status) : last.kind;
    this.notify('onRetry', { operation: call.operation, attempt: call.attempts, delayMs: Math.round(delayMs), reason });
    await sleep(delayMs, undefined, { signal: call.ended.signal }).catch(() => undefined);
    // The deadline passed while waiting: the call ends with StackOne's last answer.
    if (call.ended.signal.aborted) throw last;
    if (this.breaker.state !== call.breakerAtStart) throw this.circuitOpen(call.operation);
    await this.budget.take(call.operation, call.tenantId, call.deadline, call.ended.signal);
  }

  /** One HTTP exchange, reported to the observer, as the parsed body or a StackOneApiError. */
  private async send<T>(call: Call, request: UpstreamRequest, check: Check<T>): Promise<T> {
    const { operation } = call;
    const started = performance.now();
    const report = (outcome: AttemptOutcome, status?: number): void =>
      this.notify('onAttempt', { operation, attempt: call.attempts, status, outcome, durationMs: performance.now() - started });
    let response: AxiosResponse<string>;
    try {
      // axiosRef's promise rather than HttpService's Observable: the deadline's AbortSignal is the cancellation.
      response = await this.http.axiosRef.request<string>({ ...request, signal: call.ended.signal });
    } catch (err) {
      const kind = transportFailure(err, call.ended.signal);
      report(kind);
      throw new StackOneApiError(kind, operation);
    }
    const { status, data: body } = response;
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
   * Fails fast while the breaker cools down or a half-open probe is in flight: cockatiel would
   * otherwise park the call until the probe settles, past our own deadline.
   */
  private admit(operation: string): void {
    const state = this.breaker.state;
    const coolingDown = state === CircuitState.Open && Date.now() < this.openedAt + this.config.breakerCooldownMs;
    if (coolingDown || state === CircuitState.HalfOpen || state === CircuitState.Isolated) throw this.circuitOpen(operation);
  }

  private circuitOpen(operation: string): StackOneApiError {
    const remaining = this.openedAt + this.config.breakerCooldownMs - Date.now();
    return new StackOneApiError('circuit-open', operation, { retryAfterSeconds: Math.max(1, Math.ceil(remaining / 1000)) });
  }

  /** Network failures and blips, unless their Retry-After is beyond STACKONE_MAX_RETRY_AFTER_MS (then passed on at once). */
  private retryable(err: unknown): boolean {
    if (!(err instanceof StackOneApiError)) return false;
    const blip = err.kind === 'network' || (err.kind === 'http' && RETRYABLE_STATUS.has(err.status ?? 0));
    return blip && retryAfterMs(err) <= this.config.maxRetryAfterMs;
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
    const fn = this.observer[hook] as ((e: typeof event) => void) | undefined;
    if (!fn) return;
    try {
      fn.call(this.observer, event);
    } catch {
      // An observer bug is not a StackOne failure.
    }
  }
}
