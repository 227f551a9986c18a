import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Redis } from 'ioredis';
import { AllConfig } from '../config/config.types';

/** Injection token for the shared Redis client; the value is `null` when REDIS_URL is not set. */
export const REDIS = Symbol('REDIS');
export type RedisClient = Redis | null;

@Injectable()
class RedisLifecycle implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.redis && this.redis.status !== 'end') await this.redis.quit().catch(() => undefined);
  }
}

/**
 * One Redis connection per process, shared by the throttler, the idempotency store and the
 * outbound limiter. Absent (null) when REDIS_URL is unset: each user then keeps state in memory.
 */
@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>): RedisClient => {
        const { url } = config.get('redis', { infer: true });
        if (!url) return null;
        const logger = new Logger('Redis');
        const client = new Redis(url, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
        // The URL may carry a password: log the host only.
        client.on('error', (err: Error) => logger.warn(`Redis error (${new URL(url).host}): ${err.message}`));
        return client;
      },
    },
    RedisLifecycle,
  ],
  exports: [REDIS],
})
export class RedisModule {}
