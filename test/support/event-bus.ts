import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { EventBus } from '../../src/event-bus/event-bus';
import type { SessionEvent } from '../../src/connect-sessions/session-event';

/** An EventBus for a unit test built without Nest: handlers are added with `subscribe`, none are discovered. */
export function testEventBus(): EventBus {
  return new EventBus({ getProviders: () => [] } as unknown as DiscoveryService, new MetadataScanner(), new Reflector());
}

/** Records the session events published on `bus`, taking each in. */
export function recordSessionEvents(bus: EventBus): SessionEvent[] {
  const seen: SessionEvent[] = [];
  bus.subscribe('recorder', ['connect_session.completed', 'connect_session.expired'], (event) => Promise.resolve(seen.push(event)).then(() => 'taken' as const));
  return seen;
}
