import { Module } from '@nestjs/common';
import { AccountMirrorModule } from '../account-mirror/account-mirror.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';

@Module({
  imports: [StackOneModule, AccountMirrorModule, ThrottlingModule],
  controllers: [AccountsController],
  providers: [AccountsService],
  exports: [AccountsService],
})
export class AccountsModule {}
