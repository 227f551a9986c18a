import { Module } from '@nestjs/common';
import { EventBusModule } from '../event-bus/event-bus.module';
import { AccountsModule } from '../accounts/accounts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { ProvidersModule } from '../providers/providers.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';
import { SessionCompleter } from './session-completer';
import { SessionExpiry } from './session-expiry';
import { SessionQueries } from './session-queries';
import { SessionRecorder } from './session-recorder';

@Module({
  imports: [EventBusModule, StackOneModule, IdempotencyModule, AccountsModule, ProvidersModule, ThrottlingModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService, SessionRecorder, SessionQueries, SessionCompleter, SessionExpiry],
})
export class ConnectSessionsModule {}
