import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import type { AllConfig } from '../app.config';
import { TenantThrottlerGuard } from './tenant-throttler.guard';
import { THROTTLER_STORAGE } from './throttler-storage.token';

/** Imported by each module with a tenant-scoped controller; Nest builds it once, so they all share one counter per tenant. */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, THROTTLER_STORAGE],
      useFactory: (config: ConfigService<AllConfig, true>, storage: ThrottlerStorage) => {
        const { perTenantPerMinute } = config.get('throttling', { infer: true });
        return {
          throttlers: [{ name: 'default', ttl: 60_000, limit: perTenantPerMinute }],
          errorMessage: `Too many requests for this tenant (limit ${perTenantPerMinute} a minute); retry after Retry-After seconds.`,
          storage,
        };
      },
    }),
  ],
  providers: [TenantThrottlerGuard],
  exports: [ThrottlerModule, TenantThrottlerGuard],
})
export class ThrottlingModule {}
