/**
 * What the rest of the service learns about a tenant's StackOne account, in the service's own
 * camelCase terms. StackOne's webhooks are one source (src/webhooks maps its snake_case wire
 * payload to this); nothing outside src/stackone and src/webhooks sees the wire shape.
 */
export type AccountEventType = 'account.created' | 'account.updated' | 'account.deleted';

export interface AccountEvent {
  type: AccountEventType;
  accountId: string;
  provider: string;
  /** StackOne's origin_owner_id: the tenant the account belongs to. */
  tenantId: string;
  tenantName?: string;
  username?: string;
  projectId?: string;
  /** When it happened at StackOne (event_date), ISO 8601. */
  occurredAt: string;
  /** When this service accepted it, ISO 8601. */
  receivedAt: string;
}
