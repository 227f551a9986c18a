import { Module } from '@nestjs/common';
import { AccountHealthModule } from '../account-health/account-health.module';
import { AccountMirrorModule } from '../account-mirror/account-mirror.module';
import { StackOneModule } from '../stackone/stackone.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { AccountsController } from './accounts.controller';
import { AccountsService } from './accounts.service';
import { SelfEdits } from './self-edits';

@Module({
  imports: [StackOneModule, AccountMirrorModule, ThrottlingModule, AccountHealthModule],
  controllers: [AccountsController],
  providers: [AccountsService, SelfEdits],
  exports: [AccountsService, SelfEdits],
})
export class AccountsModule {}
