import { Module } from '@nestjs/common';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';

@Module({
  imports: [StackOneModule, IdempotencyModule, ThrottlingModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService],
})
export class ConnectSessionsModule {}
