import { DynamicModule, Module } from '@nestjs/common';
import type { AllConfig } from '../app.config';
import { EventRelay, RELAY_QUEUE } from './event-relay.service';
import { MemoryRelayQueue } from './memory-relay-queue';
import type { RelayQueue } from './relay-queue';

export { bullPrefix } from './bull-prefix';

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
    const { subscribers, concurrency, maxAttempts, baseDelayMs, memoryMaxJobs } = config.eventRelay;
    const { url } = config.redis;
    const module = { module: RelayQueueModule, global: true, exports: [RELAY_QUEUE] };
    if (subscribers.length === 0) return { ...module, providers: [{ provide: RELAY_QUEUE, useValue: null }] };
    if (!url) {
      const memory = (): RelayQueue => new MemoryRelayQueue({ subscribers: subscribers.map((s) => s.name), concurrency, maxAttempts, baseDelayMs, maxJobs: memoryMaxJobs });
      return { ...module, providers: [{ provide: RELAY_QUEUE, useFactory: memory }] };
    }
    // Required here, not imported at the top: BullMQ (~10 MB and ~0.1 s of start-up) loads only when used.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { bullRelayQueue } = require('./bull-relay-queue.module') as typeof import('./bull-relay-queue.module');
    return { ...module, ...bullRelayQueue(config, url) };
  }
}
