import { IsOptional } from 'class-validator';
import { EnvBoolean, EnvInt, EnvRule } from '../config/env.decorators';
import type { Settings } from '../config/load-config';
import { EventSubscriber, parseEventSubscribers } from './event-subscribers';

export interface EventRelayConfig {
  /** Internal services that get every event they filter for, signed (Standard Webhooks); empty: the relay is off. */
  subscribers: EventSubscriber[];
  /** First retry delay; each next one doubles, with jitter. */
  baseDelayMs: number;
  /** Attempts before a delivery is dead-lettered (the first one included). */
  maxAttempts: number;
  /** Total deadline of one delivery attempt (connect, send, answer). */
  timeoutMs: number;
  /** Deliveries in flight to one subscriber at once (per replica without Redis, across replicas with it). */
  concurrency: number;
  /** Bound of the in-process queue (no Redis), deliveries waiting or retrying. */
  memoryMaxJobs: number;
}

export class EventRelayVariables {
  /** Kept as given; build parses it (the rule below reports every problem at once). */
  @IsOptional()
  @EnvRule('eventSubscribers', (value, env) => {
    const { problems } = parseEventSubscribers(value, (env as EventRelayVariables).EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP === true);
    return problems.length > 0 ? problems.join('; ') : undefined;
  })
  EVENT_SUBSCRIBERS?: string;
  @EnvBoolean() EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP = false;
  /** The first retry waits about this long; each next one twice as long (see backoff.ts). */
  @EnvInt(1) EVENT_DELIVERY_BASE_DELAY_MS = 5_000;
  /** 15 attempts at the default base delay span about 23 hours. */
  @EnvInt(1) EVENT_DELIVERY_MAX_ATTEMPTS = 15;
  @EnvInt(100) EVENT_DELIVERY_TIMEOUT_MS = 10_000;
  @EnvInt(1) EVENT_DELIVERY_CONCURRENCY = 4;
  @EnvInt(1) EVENT_DELIVERY_MEMORY_MAX_JOBS = 10_000;
}

export const eventRelaySettings: Settings<EventRelayVariables, EventRelayConfig> = {
  variables: EventRelayVariables,
  build: (env) => ({
    subscribers: parseEventSubscribers(env.EVENT_SUBSCRIBERS, env.EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP).subscribers,
    baseDelayMs: env.EVENT_DELIVERY_BASE_DELAY_MS,
    maxAttempts: env.EVENT_DELIVERY_MAX_ATTEMPTS,
    timeoutMs: env.EVENT_DELIVERY_TIMEOUT_MS,
    concurrency: env.EVENT_DELIVERY_CONCURRENCY,
    memoryMaxJobs: env.EVENT_DELIVERY_MEMORY_MAX_JOBS,
  }),
};
