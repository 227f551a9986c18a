import { Module } from '@nestjs/common';
import { AccountEventsModule } from '../account-events/account-events.module';
import { AccountsModule } from '../accounts/accounts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { ProvidersModule } from '../providers/providers.module';
import { EventsModule } from '../events/events.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';
import { SessionStatusService } from './session-status.service';

@Module({
  imports: [AccountEventsModule, EventsModule, StackOneModule, IdempotencyModule, AccountsModule, ProvidersModule, ThrottlingModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService, SessionStatusService],
})
export class ConnectSessionsModule {}
