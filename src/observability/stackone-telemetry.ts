import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { StackOneObserver } from '../stackone/stackone.observer';
import { MetricsService } from './metrics.service';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Feeds StackOne call events into metrics and into the current request's log line. */
@Injectable()
export class StackOneTelemetry implements StackOneObserver {
  constructor(
    private readonly metrics: MetricsService,
    private readonly logger: PinoLogger,
  ) {}

  onAttempt(e: { operation: string; attempt: number; status?: number; outcome: string; durationMs: number }): void {
    this.metrics.upstreamAttempts.inc({ operation: e.operation, outcome: e.outcome, status: String(e.status ?? 'none') });
  }

  onRetry(e: { operation: string; reason: string }): void {
    this.metrics.upstreamRetries.inc({ operation: e.operation, reason: e.reason });
  }

  onBreakerStateChange(state: 'closed' | 'open' | 'half-open'): void {
    this.metrics.breakerState.set(BREAKER_VALUE[state]);
  }

  onCallComplete(e: { operation: string; outcome: string; attempts: number; durationMs: number }): void {
    this.metrics.upstreamCalls.inc({ operation: e.operation, outcome: e.outcome });
    this.metrics.upstreamDuration.observe({ operation: e.operation, outcome: e.outcome }, e.durationMs / 1000);
    try {
      // Joins the request's "request completed" line (assignResponse) when called inside a request.
      this.logger.assign({ upstreamOperation: e.operation, upstreamMs: Math.round(e.durationMs), upstreamAttempts: e.attempts, upstreamOutcome: e.outcome });
    } catch {
      // Outside a request context (start-up probes, tests): nothing to enrich.
    }
  }
}
