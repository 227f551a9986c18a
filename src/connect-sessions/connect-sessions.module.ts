import { Module } from '@nestjs/common';
import { StackOneModule } from '../stackone/stackone.module';
import { ConnectSessionsController } from './connect-sessions.controller';
import { ConnectSessionsService } from './connect-sessions.service';

@Module({
  imports: [StackOneModule],
  controllers: [ConnectSessionsController],
  providers: [ConnectSessionsService],
})
export class ConnectSessionsModule {}
