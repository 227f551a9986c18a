import { Module } from '@nestjs/common';
import { AccountEventsModule } from '../account-events/account-events.module';
import { StackOneWebhooksController } from './stackone-webhooks.controller';
import { StackOneWebhooksService } from './stackone-webhooks.service';

/** StackOne's webhooks in; the de-duplication store comes from the state layer. */
@Module({ imports: [AccountEventsModule], controllers: [StackOneWebhooksController], providers: [StackOneWebhooksService] })
export class WebhooksModule {}
