import { BullModule, getQueueToken } from '@nestjs/bullmq';
import type { DynamicModule } from '@nestjs/common';
import type { Queue } from 'bullmq';
import type { AllConfig } from '../app.config';
import { BullRelayQueue, relayQueueName } from './bull-relay-queue';
import { bullPrefix } from './bull-prefix';
import { RELAY_QUEUE } from './event-relay.service';
import type { RelayQueue } from './relay-queue';
import { SharedState } from '../state/shared-state';

/**
 * RelayQueueModule's imports and providers with subscribers and REDIS_URL: BullMQ through
 * @nestjs/bullmq, one queue per subscriber. A file of its own, loaded only then (event-relay.module.ts).
 */
export function bullRelayQueue(config: AllConfig, url: string): Pick<DynamicModule, 'imports' | 'providers'> {
  const { subscribers, concurrency, maxAttempts, baseDelayMs, timeoutMs } = config.eventRelay;
  const { keyPrefix, commandTimeoutMs } = config.redis;
  const reconnect = (times: number): number => Math.min(100 * times, 1_000);
  const names = subscribers.map((s) => relayQueueName(s.name));
  return {
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
