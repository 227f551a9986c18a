import { Module } from '@nestjs/common';
import { EventBusModule } from '../event-bus/event-bus.module';
import { StackOneWebhooksController } from './stackone-webhooks.controller';
import { StackOneWebhooksService } from './stackone-webhooks.service';

/** StackOne's webhooks in; the de-duplication store comes from the state layer. */
@Module({ imports: [EventBusModule], controllers: [StackOneWebhooksController], providers: [StackOneWebhooksService] })
export class WebhooksModule {}
