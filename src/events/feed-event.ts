import { BusEvent, EVENT_TYPES, EventType } from '../event-bus/event-map';

/** The feed and the relay carry every event of the bus. */
export const FEED_EVENT_TYPES = EVENT_TYPES;
export type FeedEventType = EventType;

/** What a tenant learns about an event: ids and labels only, never credentials or tokens. */
export interface FeedEventData {
  tenantId: string;
  tenantName?: string;
  accountId?: string;
  provider?: string;
  status?: string;
  label?: string;
  sessionId?: string;
  /** account.broken: StackOne's status reasons (code, description), and whether the provider has an open incident. */
  reasons?: Array<{ code?: string; description?: string }>;
  providerIncident?: boolean;
  /** account.recovered: when it broke, and for how long. */
  brokenSince?: string;
  brokenForSeconds?: number;
}

export interface FeedEvent {
  /** The event's position in its tenant's log (`<ms>-<seq>`); pass it as `after` to read on. */
  id: string;
  type: FeedEventType;
  /** When it happened, ISO 8601. */
  timestamp: string;
  data: FeedEventData;
}

export type NewFeedEvent = Omit<FeedEvent, 'id'>;

/** Event ids and cursors: `<milliseconds>-<sequence>`, the Redis stream id form, in both stores. */
export const CURSOR_PATTERN = /^\d{1,16}-\d{1,16}$/;

export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

/** Copies only the known fields, so nothing else a producer holds can reach the feed. */
export function pickData(data: FeedEventData): FeedEventData {
  const { tenantId, tenantName, accountId, provider, status, label, sessionId, reasons, providerIncident, brokenSince, brokenForSeconds } = data;
  const picked: FeedEventData = { tenantId };
  if (tenantName !== undefined) picked.tenantName = tenantName;
  if (accountId !== undefined) picked.accountId = accountId;
  if (provider !== undefined) picked.provider = provider;
  if (status !== undefined) picked.status = status;
  if (label !== undefined) picked.label = label;
  if (sessionId !== undefined) picked.sessionId = sessionId;
  if (Array.isArray(reasons)) picked.reasons = reasons.map(({ code, description }) => ({ ...(code !== undefined && { code }), ...(description !== undefined && { description }) }));
  if (typeof providerIncident === 'boolean') picked.providerIncident = providerIncident;
  if (brokenSince !== undefined) picked.brokenSince = brokenSince;
  if (typeof brokenForSeconds === 'number') picked.brokenForSeconds = brokenForSeconds;
  return picked;
}

/** A bus event as the feed lists it and the relay sends it: when it happened, and its known fields only. */
export function feedEventOf(event: BusEvent): NewFeedEvent {
  return { type: event.type, timestamp: event.occurredAt, data: pickData(event) };
}

/**
 * What makes an event the same event wherever and however often it is seen: a StackOne retry of a
 * webhook, or two replicas logging one session's expiry, give the same key (it names the event, not
 * its delivery). Account events: StackOne's ids and event date; session events: the session.
 */
export function stableEventKey(type: FeedEventType, timestamp: string, data: FeedEventData): string {
  const parts = type.startsWith('connect_session.') ? [type, data.tenantId, data.sessionId ?? ''] : [type, data.tenantId, data.accountId ?? '', data.provider ?? '', timestamp];
  // Length-prefixed, so no value can run into the next.
  return parts.map((p) => `${p.length}:${p}`).join('|');
}
