import type { HealthReason } from './health';

/** An account went into `broken`: the customer must re-link it (ids, labels and StackOne's reasons only). */
export interface AccountBrokenEvent {
  type: 'account.broken';
  tenantId: string;
  tenantName?: string;
  accountId: string;
  provider: string;
  /** StackOne's status (`error`, `expired`). */
  status: string;
  label?: string;
  reasons: HealthReason[];
  /** True while the provider has an open incident (many accounts of it broke at once): hold "please reconnect" prompts. */
  providerIncident: boolean;
  /** When it broke, ISO 8601 (the account's `health.since`). */
  occurredAt: string;
}

/** A broken account is healthy again. */
export interface AccountRecoveredEvent {
  type: 'account.recovered';
  tenantId: string;
  tenantName?: string;
  accountId: string;
  provider: string;
  /** When it broke, ISO 8601. */
  brokenSince: string;
  brokenForSeconds: number;
  /** When it was seen healthy, ISO 8601. */
  occurredAt: string;
}

export type AccountHealthEvent = AccountBrokenEvent | AccountRecoveredEvent;
