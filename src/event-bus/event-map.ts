import type { AccountEvent } from '../account-events/account-event';
import type { AccountBrokenEvent, AccountRecoveredEvent } from '../account-health/health-event';
import type { SessionEvent } from '../connect-sessions/session-event';

/** Names a payload type; the value is never read. */
const payload = <T>(): T => undefined as T;

/**
 * Every event published in the service, type → payload (each payload carries its own `type`).
 * Adding an event is one line here; the feed and the relay take every type.
 */
const EVENT_MAP = {
  'account.created': payload<AccountEvent>(),
  'account.updated': payload<AccountEvent>(),
  'account.deleted': payload<AccountEvent>(),
  'account.broken': payload<AccountBrokenEvent>(),
  'account.recovered': payload<AccountRecoveredEvent>(),
  'connect_session.completed': payload<SessionEvent>(),
  'connect_session.expired': payload<SessionEvent>(),
};

export type EventMap = typeof EVENT_MAP;
export type EventType = keyof EventMap;
/** An event of one of `T`'s types. */
export type BusEvent<T extends EventType = EventType> = EventMap[T];
export const EVENT_TYPES = Object.keys(EVENT_MAP) as readonly EventType[];
