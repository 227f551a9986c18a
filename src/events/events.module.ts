import { Module } from '@nestjs/common';
import { ThrottlingModule } from '../throttling/throttling.module';
import { EventLog } from './event-log.service';
import { EventsController } from './events.controller';

@Module({ imports: [ThrottlingModule], controllers: [EventsController], providers: [EventLog], exports: [EventLog] })
export class EventsModule {}
