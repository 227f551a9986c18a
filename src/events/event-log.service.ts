import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { AccountEvent } from '../account-events/account-event';
import { AccountEvents } from '../account-events/account-events.service';
import { RetryLaterException } from '../common/problem.exception';
import { EventRelay } from '../event-relay/event-relay.service';
import { EVENT_LOG_STORE, EventLogStore } from './event-log.store';
import { StateUnavailableError } from '../state/shared-state';
import { FeedEvent, FeedEventData, FeedEventType, pickData } from './feed-event';

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
 * Each tenant's event log, read by GET /v1/events: account events from the AccountEvents bus and
 * session completions (SessionCompleter) and expiries (SessionExpiry). Redis when REDIS_URL is set (replicas
 * share it), memory otherwise. While Redis is down, events are not logged (a warning each) and reads get 503.
 */
@Injectable()
export class EventLog implements OnModuleInit {
  private readonly logger = new Logger('EventLog');
  constructor(
    @Inject(EVENT_LOG_STORE) private readonly store: EventLogStore,
    private readonly accountEvents: AccountEvents,
    private readonly relay: EventRelay,
  ) {}

  onModuleInit(): void {
    this.accountEvents.subscribe('event-feed', (event) => this.onAccountEvent(event));
  }

  /**
   * Logs an event for `data.tenantId` and queues it for the subscribers that want it, both at once.
   * The feed is best effort (a failed write is warned about and counted); a delivery that could not
   * be queued throws EventNotRelayedError, so a source that can retry (StackOne's webhooks) does.
   */
  async append(type: FeedEventType, timestamp: string, data: FeedEventData): Promise<void> {
    const picked = pickData(data);
    const [appended, notRelayed] = await Promise.all([
      this.store.append(picked.tenantId, { type, timestamp, data: picked }).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      this.relay.enqueue(type, timestamp, picked).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      ),
    ]);
    if (appended !== undefined) this.logger.warn(`Event ${type} of tenant ${picked.tenantId} not logged (${appended}): the feed will not list it.`);
    if (notRelayed) throw notRelayed;
  }

  /** Queues an event already in the feed again (its source delivered it again after a failed queueing); the queue drops it if it was queued after all. */
  relayAgain(type: FeedEventType, timestamp: string, data: FeedEventData): Promise<void> {
    return this.relay.enqueue(type, timestamp, pickData(data));
  }

  async read(tenantId: string, after: string | undefined, limit: number): Promise<EventPage> {
    const data = await this.store.read(tenantId, after, limit).catch((err: unknown) => {
      throw err instanceof StateUnavailableError ? new EventsUnavailableError() : err;
    });
    return { data, nextCursor: data.at(-1)?.id ?? after ?? null };
  }

  private onAccountEvent(event: AccountEvent): Promise<void> {
    return this.append(event.type, event.occurredAt, {
      tenantId: event.tenantId,
      tenantName: event.tenantName,
      accountId: event.accountId,
      provider: event.provider,
    });
  }
}
