import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { EventBus } from './event-bus';

/** The bus, for the modules that publish; a subscriber needs only `@OnEvent` on a provider of a module in the app. */
@Module({ imports: [DiscoveryModule], providers: [EventBus], exports: [EventBus] })
export class EventBusModule {}
