/** What an account's StackOne status means for its tenant: whether data flows, and who can fix it. */
export type HealthState = 'healthy' | 'broken' | 'paused' | 'unknown';
export const HEALTH_STATES: readonly HealthState[] = ['healthy', 'broken', 'paused', 'unknown'];

export interface HealthReason {
  code?: string;
  description?: string;
}

export interface AccountHealth {
  state: HealthState;
  /** When the account entered this state, ISO 8601. */
  since: string;
  reasons: HealthReason[];
  /** While broken: when a re-link session of the account completed without repairing it, ISO 8601. */
  relinkedAt?: string;
}

/** StackOne's status_reasons entry, as the wire gives it. */
export interface StatusReasonLike {
  code?: string | null;
  description?: string | null;
  timestamp?: string | null;
}

export const MAX_REASONS = 5;
export const MAX_REASON_CHARS = 200;

/**
 * StackOne's status → state. `error`/`expired` need the customer (re-link); `suspended`/`inactive`
 * are an operator's or StackOne's action. The enum is open: anything else is `unknown`, never a failure.
 */
export function healthStateOf(status: string | null | undefined): HealthState {
  switch (status) {
    case 'active':
      return 'healthy';
    case 'error':
    case 'expired':
      return 'broken';
    case 'suspended':
    case 'inactive':
      return 'paused';
    default:
      return 'unknown';
  }
}

/** StackOne statuses whose state is exactly `state` (for StackOne's `status` filter); none for `unknown` (open-ended). */
export function statusesOf(state: HealthState): string[] {
  return { healthy: ['active'], broken: ['error', 'expired'], paused: ['suspended', 'inactive'], unknown: [] }[state];
}

/** Code and description only, at most MAX_REASONS, each cut to MAX_REASON_CHARS: nothing else of the account. */
export function reasonsOf(reasons: readonly StatusReasonLike[] | null | undefined): HealthReason[] {
  return (reasons ?? []).slice(0, MAX_REASONS).map((r) => {
    const reason: HealthReason = {};
    if (typeof r.code === 'string') reason.code = r.code.slice(0, MAX_REASON_CHARS);
    if (typeof r.description === 'string') reason.description = r.description.slice(0, MAX_REASON_CHARS);
    return reason;
  });
}

/** The newest valid status_reasons timestamp (ISO), or undefined when StackOne gives none. */
export function newestReasonTime(reasons: readonly StatusReasonLike[] | null | undefined): string | undefined {
  let newest: number | undefined;
  for (const r of reasons ?? []) {
    const ms = typeof r.timestamp === 'string' ? Date.parse(r.timestamp) : NaN;
    if (Number.isFinite(ms) && (newest === undefined || ms > newest)) newest = ms;
  }
  return newest === undefined ? undefined : new Date(newest).toISOString();
}
