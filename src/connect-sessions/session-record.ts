import { AccountEvent } from '../account-events/account-event';
import { StackOneCategory } from '../stackone/stackone.categories';
import { AccountAction } from './dto/connect-session.response.dto';

export type SessionStatus = 'pending' | 'completed' | 'expired';

/** What the service remembers of a session it created. Never the token or the hosted link. */
export interface SessionRecord {
  tenantId: string;
  /** StackOne's session id, as a string. */
  sessionId: string;
  provider?: string;
  categories?: StackOneCategory[];
  /** The re-link target, or the existing account the preview said would be updated. */
  accountId?: string;
  /** True when the caller asked to re-link `accountId` (only an event for that account completes it). */
  relink?: boolean;
  label?: string;
  accountAction?: AccountAction;
  createdAt: string;
  expiresAt: string;
  /** The principal (JWT subject or API key name) that asked for it. */
  principal: string;
}

/** Written once, by the first account event that matches the session. */
export interface SessionCompletion {
  accountId: string;
  completedAt: string;
  action: AccountAction;
  /** The provider of the account the event named (a provider-less session shows what was connected). */
  provider?: string;
  /** Identifies the event, so the same event delivered again completes nothing else. */
  eventKey: string;
}

export interface StoredSession {
  record: SessionRecord;
  completion?: SessionCompletion;
}

/** Pending sessions past expiresAt read as expired; nothing needs to be written for that. */
export function sessionStatus(session: StoredSession, nowMs: number): SessionStatus {
  if (session.completion) return 'completed';
  return Date.parse(session.record.expiresAt) <= nowMs ? 'expired' : 'pending';
}

export function eventKey(event: AccountEvent): string {
  return `${event.type}|${event.accountId}|${event.provider}|${event.occurredAt}`;
}

/** When the event happened, for the expiry check: StackOne's event date, else when we received it. */
export function eventTimeMs(event: AccountEvent): number {
  const occurred = Date.parse(event.occurredAt);
  return Number.isNaN(occurred) ? Date.parse(event.receivedAt) : occurred;
}

/** Whether a provider-less session could have produced an account of `providerCategory`. */
function categoriesFit(session: SessionRecord, providerCategory: string | undefined): boolean {
  if (!session.categories || session.categories.length === 0) return true;
  return providerCategory !== undefined && (session.categories as string[]).includes(providerCategory);
}

/** A provider-less session with categories: only these need the provider's category to be matched. */
export function needsProviderCategory(session: StoredSession): boolean {
  const { record } = session;
  return !session.completion && !record.relink && record.provider === undefined && (record.categories?.length ?? 0) > 0;
}

/**
 * Which of a tenant's sessions an account event completes (docs/sessions.md, "How a session
 * completes"): only account.created / account.updated of that same tenant, among its sessions still
 * pending at the event's time (created before it, expiring after it), newest first:
 * - account.created: a session that could have made the account: the most recent one for the
 *   event's provider, else the most recent provider-less one whose categories fit the provider's
 *   category (none: any provider; with categories, an unknown category fits none). Never a re-link.
 * - account.updated: only a session opened to update that very account: a re-link of it, or a
 *   provider session whose preview said `update` naming it. Never a category session, a `create`
 *   preview or a re-link of another account: an update also comes from token refreshes, dashboard
 *   edits and this service's own PATCH (the caller filters those it made itself, see SelfEdits).
 * An event that already completed a session (the same delivery again) completes nothing.
 * `sessions` are the tenant's recent sessions in any order; the result is the one to complete.
 */
export function matchSession(
  event: AccountEvent,
  tenantId: string,
  sessions: readonly StoredSession[],
  providerCategory: string | undefined,
): StoredSession | undefined {
  if (event.type !== 'account.created' && event.type !== 'account.updated') return undefined;
  if (event.tenantId !== tenantId) return undefined;
  const key = eventKey(event);
  if (sessions.some((s) => s.completion?.eventKey === key)) return undefined;
  const at = eventTimeMs(event);
  const pending = sessions
    .filter((s) => s.record.tenantId === tenantId && !s.completion)
    .filter((s) => Date.parse(s.record.createdAt) <= at && Date.parse(s.record.expiresAt) > at)
    .sort((a, b) => Date.parse(b.record.createdAt) - Date.parse(a.record.createdAt) || compareIds(b.record.sessionId, a.record.sessionId));
  if (event.type === 'account.updated') {
    return pending.find((s) => s.record.accountId === event.accountId && (s.record.relink === true || s.record.accountAction === 'update'));
  }
  return (
    pending.find((s) => s.record.relink !== true && s.record.provider === event.provider) ??
    pending.find((s) => s.record.relink !== true && s.record.provider === undefined && categoriesFit(s.record, providerCategory))
  );
}

/** Same createdAt: the larger id is the later session (StackOne's ids grow). */
function compareIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

export const actionOf = (event: AccountEvent): AccountAction => (event.type === 'account.created' ? 'create' : 'update');
