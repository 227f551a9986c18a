import { EnvInt } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface EventsConfig {
  /** How long the tenant event feed keeps an event. */
  retentionSeconds: number;
  /** Bound of the in-memory event log (used without Redis), in events of all tenants; the oldest go first. */
  memoryMaxEntries: number;
}

export class EventsVariables {
  @EnvInt(1) EVENT_RETENTION_SECONDS = 604_800;
  @EnvInt(1) EVENT_MEMORY_MAX_ENTRIES = 10_000;
}

export const eventsSettings: Settings<EventsVariables, EventsConfig> = {
  variables: EventsVariables,
  build: (env) => ({ retentionSeconds: env.EVENT_RETENTION_SECONDS, memoryMaxEntries: env.EVENT_MEMORY_MAX_ENTRIES }),
};
