import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { RedisConfig } from './redis.config';
import { REDIS, RedisClient } from './redis.client';
import { RedisHealth } from './redis-health';

export { REDIS, type RedisClient } from './redis.client';

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis || this.redis.status === 'end') return;
    // QUIT is bounded by the command timeout; a hung or absent server is then simply dropped.
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}

/**
 * One Redis connection per process, shared by the throttler, the idempotency store and the
 * outbound limiter. Absent (null) when REDIS_URL is unset: each user then keeps state in memory.
 *
 * Every command has a bounded wait (commandTimeout) and none is queued while disconnected, so a
 * dead or hung Redis costs a request at most one command timeout, after which RedisHealth sends
 * every user to its fallback. Reconnection never stops, so recovery needs no restart.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<{ redis: RedisConfig }, true>): RedisClient => {
        const { url, commandTimeoutMs } = config.get('redis', { infer: true });
        if (!url) return null;
        // Required here, not imported at the top: without REDIS_URL ioredis is never loaded (start-up, memory).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { Redis } = require('ioredis') as typeof import('ioredis');
        return new Redis(url, {
          commandTimeout: commandTimeoutMs,
          connectTimeout: Math.max(2_000, commandTimeoutMs),
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          retryStrategy: (times: number): number => Math.min(100 * times, 1_000),
          lazyConnect: false,
        });
      },
    },
    RedisHealth,
    RedisLifecycle,
  ],
  exports: [REDIS, RedisHealth],
})
export class RedisModule {}
