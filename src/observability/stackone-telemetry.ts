import { Injectable } from '@nestjs/common';
import { StackOneObserver } from '../stackone/stackone.observer';
import { MetricsService } from './metrics.service';
import { RequestContextStore } from './request-context';

const BREAKER_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Feeds StackOne call events into metrics and into the current request's log line. */
@Injectable()
export class StackOneTelemetry implements StackOneObserver {
  constructor(
    private readonly metrics: MetricsService,
    private readonly requestContext: RequestContextStore,
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
    // Joins the current request's log line; outside a request there is nothing to enrich.
    const ctx = this.requestContext.current();
    if (ctx) {
      ctx.upstreamCalls += 1;
      ctx.upstreamAttempts += e.attempts;
      // The call ended just now (the client notifies as it finishes), so it ran from now - durationMs.
      const end = performance.now();
      ctx.upstreamIntervals.push([end - e.durationMs, end]);
    }
  }
}
