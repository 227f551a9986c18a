import { AccountEvent } from '../account-events/account-event';
import { AccountWebhookWire } from '../stackone/stackone-webhook.types';

/** An ISO 8601 instant as the service writes it, or undefined when `value` is not a date. */
function isoInstant(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at).toISOString();
}

const optional = (value: string | null | undefined): string | undefined => (value ? value : undefined);

/**
 * StackOne's account webhook as the service's domain event. occurredAt is event_date, else sent_at,
 * else the time of receipt (StackOne's example payloads always carry the first two).
 */
export function toAccountEvent(wire: AccountWebhookWire, receivedAt: Date): AccountEvent {
  const received = receivedAt.toISOString();
  return {
    type: wire.event,
    accountId: wire.account_id,
    provider: wire.provider,
    tenantId: wire.origin_owner_id,
    tenantName: optional(wire.origin_owner_name),
    username: optional(wire.origin_username),
    projectId: optional(wire.project_id),
    occurredAt: isoInstant(wire.event_date) ?? isoInstant(wire.sent_at) ?? received,
    receivedAt: received,
  };
}

export type Freshness = { fresh: true; rememberForMs: number } | { fresh: false; reason: 'old' | 'future' | 'no-sent-at' };

/**
 * Whether a delivery sent at `sentAt` may still be processed: within `maxAgeMs` of now either way
 * (a clock ahead of ours is tolerated as far as one behind). A fresh delivery is remembered until
 * it leaves that window, so a replay is either a duplicate or stale, never processed twice.
 * Without a usable sent_at a delivery cannot be told from a replay.
 */
export function freshness(sentAt: string | null | undefined, now: number, maxAgeMs: number): Freshness {
  const at = sentAt ? Date.parse(sentAt) : Number.NaN;
  if (Number.isNaN(at)) return { fresh: false, reason: 'no-sent-at' };
  if (at < now - maxAgeMs) return { fresh: false, reason: 'old' };
  if (at > now + maxAgeMs) return { fresh: false, reason: 'future' };
  return { fresh: true, rememberForMs: Math.max(1, at + maxAgeMs - now) };
}
