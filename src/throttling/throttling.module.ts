import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import type { AllConfig } from '../app.config';
import { RedisHealth } from '../redis/redis-health';
import { REDIS, RedisClient } from '../redis/redis.module';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { TenantThrottlerGuard } from './tenant-throttler.guard';

/** Imported by each module with a tenant-scoped controller; Nest builds it once, so they all share one counter per tenant. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS, RedisHealth],
      useFactory: (config: ConfigService<AllConfig, true>, redis: RedisClient, health: RedisHealth) => {
        const { perTenantPerMinute } = config.get('throttling', { infer: true });
        const { keyPrefix } = config.get('redis', { infer: true });
        return {
          throttlers: [{ name: 'default', ttl: 60_000, limit: perTenantPerMinute }],
          errorMessage: `Too many requests for this tenant (limit ${perTenantPerMinute} a minute); retry after Retry-After seconds.`,
          storage: redis
            ? new FallbackThrottlerStorage(new RedisThrottlerStorage(redis, keyPrefix), new MemoryThrottlerStorage(), health)
            : new MemoryThrottlerStorage(),
        };
      },
    }),
  ],
  providers: [TenantThrottlerGuard],
  exports: [ThrottlerModule, TenantThrottlerGuard],
})
export class ThrottlingModule {}
