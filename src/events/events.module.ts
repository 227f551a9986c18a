import { Module } from '@nestjs/common';
import { EventLog } from './event-log.service';
import { EventsController } from './events.controller';

@Module({ controllers: [EventsController], providers: [EventLog], exports: [EventLog] })
export class EventsModule {}
