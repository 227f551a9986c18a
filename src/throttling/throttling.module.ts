import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule, ThrottlerStorage } from '@nestjs/throttler';
import { AllConfig } from '../config/config.types';
import { TenantThrottlerGuard } from './tenant-throttler.guard';
import { THROTTLER_STORAGE } from './throttler-storage.token';

/** Global and imported once, so every tenant-scoped controller shares one counter per tenant. */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, THROTTLER_STORAGE],
      useFactory: (config: ConfigService<AllConfig, true>, storage: ThrottlerStorage) => {
        const http = config.get('http', { infer: true });
        return {
          throttlers: [{ name: 'default', ttl: 60_000, limit: http.rateLimitPerTenantPerMinute }],
          errorMessage: `Too many requests for this tenant (limit ${http.rateLimitPerTenantPerMinute} a minute); retry after Retry-After seconds.`,
          storage,
        };
      },
    }),
  ],
  providers: [TenantThrottlerGuard],
  exports: [ThrottlerModule, TenantThrottlerGuard],
})
export class ThrottlingModule {}
