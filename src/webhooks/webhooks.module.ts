import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountEventsModule } from '../account-events/account-events.module';
import type { AllConfig } from '../app.config';
import { REDIS, RedisClient } from '../redis/redis.module';
import { RedisHealth } from '../redis/redis-health';
import { StackOneWebhooksController } from './stackone-webhooks.controller';
import { StackOneWebhooksService, WEBHOOK_DELIVERY_STORE } from './stackone-webhooks.service';
import {
  FallbackWebhookDeliveryStore,
  MemoryWebhookDeliveryStore,
  RedisWebhookDeliveryStore,
  WebhookDeliveryStore,
} from './webhook-delivery.store';

/** StackOne's webhooks in. The de-duplication store is chosen here: Redis (falling back to memory while it is down) or memory. */
@Module({
  imports: [AccountEventsModule],
  controllers: [StackOneWebhooksController],
  providers: [
    StackOneWebhooksService,
    {
      provide: WEBHOOK_DELIVERY_STORE,
      inject: [REDIS, RedisHealth, ConfigService],
      useFactory: (redis: RedisClient, health: RedisHealth, config: ConfigService<AllConfig, true>): WebhookDeliveryStore => {
        const memory = new MemoryWebhookDeliveryStore();
        if (!redis) return memory;
        return new FallbackWebhookDeliveryStore(new RedisWebhookDeliveryStore(redis, config.get('redis', { infer: true }).keyPrefix), memory, health);
      },
    },
  ],
})
export class WebhooksModule {}
