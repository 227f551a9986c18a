import { Inject, Injectable, Logger } from '@nestjs/common';
import { RetryLaterException } from '../common/problem.exception';
import { HandlerOutcome, OnEvent } from '../event-bus/event-bus';
import { BusEvent, EVENT_TYPES } from '../event-bus/event-map';
import { EVENT_LOG_STORE, EventLogStore } from './event-log.store';
import { StateUnavailableError } from '../state/shared-state';
import { FeedEvent, feedEventOf } from './feed-event';

/** 503 + Retry-After: while Redis is unreachable, the feed cannot be read. */
class EventsUnavailableError extends RetryLaterException {
  constructor() {
    super('The event feed cannot be read right now; retry after Retry-After seconds.');
  }
}

export interface EventPage {
  data: FeedEvent[];
  nextCursor: string | null;
}

/**
 * Each tenant's event log, read by GET /v1/events: the feed writer subscribes to every event of the
 * bus. Redis when REDIS_URL is set (replicas share it), memory otherwise. While Redis is down, events
 * are not logged (a warning each) and reads get 503.
 */
@Injectable()
export class EventLog {
  private readonly logger = new Logger('EventLog');
  constructor(@Inject(EVENT_LOG_STORE) private readonly store: EventLogStore) {}

  /**
   * Logs the event for its tenant. Best effort: a failed write is warned about (the state layer
   * counts it), and never asks for the event again. Before other handlers, so the feed lists an
   * account event before the session completion it causes.
   */
  @OnEvent(EVENT_TYPES, { priority: -1 })
  async write(event: BusEvent): Promise<HandlerOutcome> {
    // Already in the feed: published again only for the relay.
    if ('redelivery' in event && event.redelivery) return 'taken';
    const { type, timestamp, data } = feedEventOf(event);
    await this.store.append(data.tenantId, { type, timestamp, data }).catch((err: unknown) => {
      this.logger.warn(`Event ${type} of tenant ${data.tenantId} not logged (${err instanceof Error ? err.message : String(err)}): the feed will not list it.`);
    });
    return 'taken';
  }

  async read(tenantId: string, after: string | undefined, limit: number): Promise<EventPage> {
    const data = await this.store.read(tenantId, after, limit).catch((err: unknown) => {
      throw err instanceof StateUnavailableError ? new EventsUnavailableError() : err;
    });
    return { data, nextCursor: data.at(-1)?.id ?? after ?? null };
  }
}
