import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics (prom-client): one registry per app instance so tests can boot several apps in
 * one process without "metric already registered" clashes.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamCalls = new Counter({
    name: 'stackone_calls_total',
    help: 'Calls to StackOne by operation and outcome (after retries)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly upstreamAttempts = new Counter({
    name: 'stackone_attempts_total',
    help: 'HTTP attempts to StackOne by operation, outcome and status',
    labelNames: ['operation', 'outcome', 'status'] as const,
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'stackone_call_duration_seconds',
    help: 'Latency of calls to StackOne, retries included',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamRetries = new Counter({
    name: 'stackone_retries_total',
    help: 'Retries of StackOne calls by operation and reason',
    labelNames: ['operation', 'reason'] as const,
    registers: [this.registry],
  });

  readonly ownerMismatches = new Counter({
    name: 'stackone_owner_mismatch_total',
    help: "StackOne answers naming another owner than the caller's tenant, by operation (refused or filtered out)",
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly breakerState = new Gauge({
    name: 'stackone_circuit_breaker_state',
    help: 'StackOne circuit breaker: 0 closed, 1 half-open, 2 open',
    registers: [this.registry],
  });

  readonly redisDegraded = new Gauge({
    name: 'redis_degraded',
    help: 'Redis unreachable: 1 while per-process fallbacks are in use, else 0',
    registers: [this.registry],
  });

  readonly relayEnqueued = new Counter({
    name: 'event_relay_enqueued_total',
    help: 'Deliveries to internal subscribers queued, or not (the queue was unreachable or full), by subscriber',
    labelNames: ['subscriber', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly relayDeliveries = new Counter({
    name: 'event_deliveries_total',
    help: 'Deliveries to internal subscribers by subscriber and final outcome (delivered or dead_lettered)',
    labelNames: ['subscriber', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly relayAttempts = new Counter({
    name: 'event_delivery_attempts_total',
    help: 'Delivery attempts by subscriber and result (2xx, 3xx, 4xx, 5xx, timeout, refused, error)',
    labelNames: ['subscriber', 'result'] as const,
    registers: [this.registry],
  });

  readonly relayDeadLetters = new Counter({
    name: 'event_dead_letters_total',
    help: 'Deliveries given up after EVENT_DELIVERY_MAX_ATTEMPTS, by subscriber',
    labelNames: ['subscriber'] as const,
    registers: [this.registry],
  });

  readonly relayLatency = new Histogram({
    name: 'event_delivery_latency_seconds',
    help: 'From the event accepted to its delivery acknowledged (2xx), retries included, by subscriber',
    labelNames: ['subscriber'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 3600, 21_600, 86_400],
    registers: [this.registry],
  });

  readonly relayAttemptDuration = new Histogram({
    name: 'event_delivery_attempt_duration_seconds',
    help: 'Duration of one delivery attempt (request to answer), by subscriber',
    labelNames: ['subscriber'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Set at scrape time from the queue (see EventRelay). */
  readonly relayQueueDepth = new Gauge({
    name: 'event_delivery_queue_depth',
    help: 'Deliveries in the relay queue by subscriber and state (waiting, delayed = waiting to retry, active, failed = dead letters kept)',
    labelNames: ['subscriber', 'state'] as const,
    registers: [this.registry],
  });

  readonly redisFallbacks = new Counter({
    name: 'redis_fallbacks_total',
    help: 'Operations answered without Redis while it was unreachable, by use',
    labelNames: ['use'] as const,
    registers: [this.registry],
  });

  readonly sessionsCreated = new Counter({
    name: 'connect_sessions_created_total',
    help: 'Connect sessions created, by provider ("none" when the hub lets the person pick)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly sessionsCompleted = new Counter({
    name: 'connect_sessions_completed_total',
    help: 'Connect sessions completed by an account event, by provider and action (create: account.created, update: account.updated)',
    labelNames: ['provider', 'action'] as const,
    registers: [this.registry],
  });

  readonly sessionsExpired = new Counter({
    name: 'connect_sessions_expired_total',
    help: 'Connect sessions that expired pending, each counted once (when first read as expired, or by the sweep)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly sessionCompletion = new Histogram({
    name: 'connect_session_completion_seconds',
    help: 'Time from a connect session being created to its completion',
    buckets: [10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, 604800],
    registers: [this.registry],
  });

  readonly webhooksReceived = new Counter({
    name: 'stackone_webhooks_received_total',
    help: "StackOne webhook deliveries by event (account.*, 'other', or 'unknown' before the signature is verified) and outcome",
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  /** Set by the account-health feature on each scrape (fleet-wide counts); a failure leaves the last values. */
  refreshAccountsByHealth?: () => Promise<void>;

  readonly accountsByHealth: Gauge<'state' | 'provider'> = new Gauge({
    name: 'accounts_by_health',
    help: "Accounts the service has observed, by health state and provider (providers outside the catalogue as 'other'); fleet-wide: every replica shows the same numbers",
    labelNames: ['state', 'provider'] as const,
    registers: [this.registry],
    collect: async (): Promise<void> => {
      await this.refreshAccountsByHealth?.().catch(() => undefined);
    },
  });

  readonly accountHealthTransitions = new Counter({
    name: 'account_health_transitions_total',
    help: 'Account health transitions recorded by this replica (each transition is counted by exactly one replica), by new state and provider',
    labelNames: ['to', 'provider'] as const,
    registers: [this.registry],
  });

  readonly accountBrokenDuration = new Histogram({
    name: 'account_broken_duration_seconds',
    help: 'How long an account was broken, observed when it recovers',
    buckets: [60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400],
    registers: [this.registry],
  });

  readonly relinkSessions = new Counter({
    name: 'relink_sessions_total',
    help: 'Re-link sessions (connect sessions with accountId): created, completed, and recovered (the account observed healthy after a completed re-link while it was broken)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly providerIncidentsOpen = new Gauge({
    name: 'provider_incidents_open',
    help: 'Providers with an open incident (1): many accounts of it broke within the incident window',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
