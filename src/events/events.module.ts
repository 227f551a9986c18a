import { Module } from '@nestjs/common';
import { AccountEventsModule } from '../account-events/account-events.module';
import { EventRelayModule } from '../event-relay/event-relay.module';
import { ThrottlingModule } from '../throttling/throttling.module';
import { EventLog } from './event-log.service';
import { EventsController } from './events.controller';

@Module({ imports: [AccountEventsModule, EventRelayModule, ThrottlingModule], controllers: [EventsController], providers: [EventLog], exports: [EventLog] })
export class EventsModule {}
