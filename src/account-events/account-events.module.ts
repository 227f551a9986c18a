import { Global, Module } from '@nestjs/common';
import { AccountEvents } from './account-events.service';

@Global()
@Module({ providers: [AccountEvents], exports: [AccountEvents] })
export class AccountEventsModule {}
