import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AllConfig } from '../app.config';
import { BullRelayQueue, relayQueueName } from './bull-relay-queue';
import { EventRelay, RELAY_QUEUE } from './event-relay.service';
import { MemoryRelayQueue } from './memory-relay-queue';
import type { RelayQueue } from './relay-queue';
import { SharedState } from '../state/shared-state';

/** BullMQ's keys sit under REDIS_KEY_PREFIX like every other key of the service. */
export const bullPrefix = (keyPrefix: string): string => `${keyPrefix}bull`;

/** The relay to internal subscribers, a subscriber of the event bus (its queue: RelayQueueModule). */
@Module({ providers: [EventRelay] })
export class EventRelayModule {}

/**
 * The relay's queue, chosen once from the configuration where the app is assembled: none without
 * subscribers, BullMQ (through @nestjs/bullmq, one queue per subscriber) with REDIS_URL, memory
 * otherwise. Global like the other state infrastructure: its queue names exist only once the
 * configuration is loaded, so a feature module cannot import it by class.
 * BullMQ gets its own connections: the producers' fail fast like the service's client (no offline
 * queue, a command timeout), the workers' block and wait, as BullMQ requires.
 */
@Module({})
export class RelayQueueModule {
  static forRoot(config: AllConfig): DynamicModule {
    const { subscribers, concurrency, maxAttempts, baseDelayMs, memoryMaxJobs, timeoutMs } = config.eventRelay;
    const { url, keyPrefix, commandTimeoutMs } = config.redis;
    const module = { module: RelayQueueModule, global: true, exports: [RELAY_QUEUE] };
    if (subscribers.length === 0) return { ...module, providers: [{ provide: RELAY_QUEUE, useValue: null }] };
    if (!url) {
      const memory = (): RelayQueue => new MemoryRelayQueue({ subscribers: subscribers.map((s) => s.name), concurrency, maxAttempts, baseDelayMs, maxJobs: memoryMaxJobs });
      return { ...module, providers: [{ provide: RELAY_QUEUE, useFactory: memory }] };
    }
    const reconnect = (times: number): number => Math.min(100 * times, 1_000);
    const names = subscribers.map((s) => relayQueueName(s.name));
    return {
      ...module,
      imports: [
        BullModule.forRoot({
          connection: { url, enableOfflineQueue: false, commandTimeout: commandTimeoutMs, connectTimeout: Math.max(2_000, commandTimeoutMs), maxRetriesPerRequest: 1, retryStrategy: reconnect },
          prefix: bullPrefix(keyPrefix),
        }),
        BullModule.registerQueue(...names.map((name) => ({ name }))),
      ],
      providers: [
        {
          provide: RELAY_QUEUE,
          inject: [SharedState, ...names.map((name) => getQueueToken(name))],
          useFactory: (state: SharedState, ...queues: Queue[]): RelayQueue =>
            // An event that cannot be queued is refused, so its source delivers it again.
            state.wrap(
              { use: 'relay', outage: 'retry-later' },
              new BullRelayQueue(new Map(subscribers.map((s, i) => [s.name, queues[i]])), {
                prefix: bullPrefix(keyPrefix),
                workerConnection: { url, maxRetriesPerRequest: null, retryStrategy: reconnect },
                concurrency,
                maxAttempts,
                baseDelayMs,
                closeWithinMs: timeoutMs + 1_000,
                commandsWithinMs: Math.max(1_000, 2 * commandTimeoutMs),
              }),
            ),
        },
      ],
    };
  }
}
