import { createHash } from 'node:crypto';
import type { EventSubscriber } from './event-subscribers';
import type { FeedEventData, FeedEventType } from '../events/feed-event';
import type { TraceCarrier } from './relay-trace';

/** One delivery of one event to one subscriber, as queued (ids and labels only: no secret, no URL). */
export interface RelayJob {
  /** The Standard Webhooks message id, also the queue's job id: the same event gives the same id. */
  webhookId: string;
  subscriber: string;
  type: FeedEventType;
  timestamp: string;
  data: FeedEventData;
  /** When the service accepted the event (ms since epoch), for the delivery latency. */
  acceptedAt: number;
  /** The W3C trace context (`traceparent`) of the request that caused the event, when tracing is on (relay-trace.ts). */
  trace?: TraceCarrier;
}

/** The body a subscriber receives. */
export interface RelayBody {
  type: FeedEventType;
  timestamp: string;
  data: FeedEventData;
}

/** `msg_` + 32 hex of SHA-256(subscriber, event key): stable per event and subscriber, and safe as a BullMQ job id. */
export function webhookIdFor(subscriber: string, eventKey: string): string {
  return `msg_${createHash('sha256').update(`${subscriber.length}:${subscriber}|${eventKey}`).digest('hex').slice(0, 32)}`;
}

export function wants(subscriber: EventSubscriber, type: FeedEventType, tenantId: string): boolean {
  return (subscriber.events === undefined || subscriber.events.includes(type)) && (subscriber.tenants === undefined || subscriber.tenants.includes(tenantId));
}

export function bodyOf(job: RelayJob): RelayBody {
  return { type: job.type, timestamp: job.timestamp, data: job.data };
}
