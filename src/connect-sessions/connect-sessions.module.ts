import { Module } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';

@Module({
  imports: [StackOneModule, IdempotencyModule, AccountsModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService],
})
export class ConnectSessionsModule {}
