import { Module } from '@nestjs/common';
import { AccountEventsModule } from '../account-events/account-events.module';
import { AccountMirror } from './account-mirror.service';

@Module({ imports: [AccountEventsModule], providers: [AccountMirror], exports: [AccountMirror] })
export class AccountMirrorModule {}
