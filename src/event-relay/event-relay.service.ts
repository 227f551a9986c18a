import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AllConfig } from '../app.config';
import type { EventSubscriber } from './event-subscribers';
import { HandlerOutcome, OnEvent } from '../event-bus/event-bus';
import { BusEvent, EVENT_TYPES } from '../event-bus/event-map';
import { feedEventOf, stableEventKey } from '../events/feed-event';
import { MetricsService } from '../observability/metrics.service';
import { RedisHealth } from '../redis/redis-health';
import { RelayJob, wants, webhookIdFor } from './relay-job';
import type { RelayQueue } from './relay-queue';
import { currentTraceCarrier, inDeliverySpan } from './relay-trace';
import { DeliveryFailedError, SubscriberClient } from './subscriber-client';

export const RELAY_QUEUE = Symbol('RELAY_QUEUE');

/** How often the queue depth gauge is refreshed (one bounded count per subscriber). */
const DEPTH_REFRESH_MS = 5_000;

/**
 * Events out to internal subscribers (EVENT_SUBSCRIBERS): each event of the bus is queued once per subscriber that wants it, signed per Standard Webhooks when sent, retried on anything but
 * a 2xx (backoff.ts) and dead-lettered after the last attempt with a metric and a log line (ids
 * only). The queue is BullMQ in Redis when REDIS_URL is set, else this process's memory.
 */
@Injectable()
export class EventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventRelay');
  private readonly subscribers: readonly EventSubscriber[];
  private readonly client: SubscriberClient;
  private depthTimer?: NodeJS.Timeout;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(RELAY_QUEUE) private readonly queue: RelayQueue | null,
    private readonly metrics: MetricsService,
    private readonly health: RedisHealth,
  ) {
    const relay = config.get('eventRelay', { infer: true });
    this.subscribers = queue ? relay.subscribers : [];
    this.client = new SubscriberClient(this.subscribers, relay.timeoutMs, relay.concurrency);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.queue) return;
    await this.queue.start({ attempt: (job, n) => this.attempt(job, n), deadLettered: (job, attempts, reason) => this.deadLettered(job, attempts, reason) });
    this.depthTimer = setInterval(() => void this.refreshDepth(), DEPTH_REFRESH_MS).unref();
    this.logger.log(`Relaying events to ${this.subscribers.map((s) => s.name).join(', ')} (${this.queue.description})`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.depthTimer);
    // Forced while Redis is unreachable: BullMQ's graceful close would wait on it forever.
    await this.queue?.close(!this.health.available());
    await this.client.close();
  }

  /**
   * Queues `event` for every subscriber that wants it, beside the feed writer. `deliver-again` when
   * that could not be done (queue unreachable, timed out or full): a source that can retry (StackOne) does.
   */
  @OnEvent(EVENT_TYPES, { priority: -1 })
  async enqueue(event: BusEvent): Promise<HandlerOutcome> {
    if (!this.queue) return 'taken';
    const { type, timestamp, data } = feedEventOf(event);
    const key = stableEventKey(type, timestamp, data);
    const acceptedAt = Date.now();
    const trace = currentTraceCarrier();
    const jobs: RelayJob[] = this.subscribers
      .filter((s) => wants(s, type, data.tenantId))
      .map((s) => ({ webhookId: webhookIdFor(s.name, key), subscriber: s.name, type, timestamp, data, acceptedAt, ...(trace && { trace }) }));
    if (jobs.length === 0) return 'taken';
    // Redis down, hung (the queue's own bound) or the in-process queue full: not queued.
    const added = await this.queue.add(jobs).then(
      () => ({ ok: true as const }),
      (err: Error) => ({ ok: false as const, reason: err.message }),
    );
    for (const job of jobs) this.metrics.relayEnqueued.inc({ subscriber: job.subscriber, outcome: added.ok ? 'queued' : 'failed' });
    if (added.ok) return 'taken';
    this.logger.warn(`Event ${type} of tenant ${data.tenantId} not queued for ${jobs.map((j) => j.subscriber).join(', ')} (${added.reason})`);
    return 'deliver-again';
  }

  /** One attempt, in a span of the trace that caused the event: resolves on a 2xx, throws otherwise (the queue retries or dead-letters). */
  private attempt(job: RelayJob, attemptNumber: number): Promise<void> {
    return inDeliverySpan(job, attemptNumber, this.queue?.system ?? 'in-process', () => this.attemptOnce(job, attemptNumber));
  }

  private async attemptOnce(job: RelayJob, attemptNumber: number): Promise<void> {
    const started = performance.now();
    const labels = { subscriber: job.subscriber };
    try {
      const result = await this.client.deliver(job);
      this.metrics.relayAttempts.inc({ ...labels, result });
    } catch (err) {
      const result = err instanceof DeliveryFailedError ? err.result : 'error';
      this.metrics.relayAttempts.inc({ ...labels, result });
      this.logger.debug(`Delivery ${job.webhookId} (${job.type}) to ${job.subscriber}: attempt ${attemptNumber} failed (${result})`);
      throw err instanceof DeliveryFailedError ? err : new DeliveryFailedError(result);
    } finally {
      this.metrics.relayAttemptDuration.observe(labels, (performance.now() - started) / 1000);
    }
    this.metrics.relayDeliveries.inc({ ...labels, outcome: 'delivered' });
    this.metrics.relayLatency.observe(labels, Math.max(0, Date.now() - job.acceptedAt) / 1000);
  }

  private deadLettered(job: RelayJob, attempts: number, reason: string): void {
    this.metrics.relayDeadLetters.inc({ subscriber: job.subscriber });
    this.metrics.relayDeliveries.inc({ subscriber: job.subscriber, outcome: 'dead_lettered' });
    // Ids only: the body holds tenant names and labels, the subscriber's URL may hold a token.
    this.logger.error(
      `Delivery ${job.webhookId} (${job.type}, tenant ${job.data.tenantId}) to ${job.subscriber} dead-lettered after ${attempts} attempts (last: ${reason.slice(0, 100)})`,
    );
  }

  private async refreshDepth(): Promise<void> {
    if (!this.queue) return;
    try {
      for (const { subscriber, state, count } of await this.queue.depth()) {
        this.metrics.relayQueueDepth.set({ subscriber, state }, count);
      }
    } catch {
      // The next refresh tries again; the gauge keeps its last value meanwhile.
    }
  }
}
