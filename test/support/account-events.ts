import type { AccountEvent } from '../../src/account-events/account-event';
import { bearer } from './jwt';

/** The two tenants the lifecycle specs use: Authorization headers for Acme and Globex. */
export const acmeBearer = (): Promise<string> => bearer({ org_id: 'org_acme', org_name: 'Acme Inc', sub: 'user_jane' });
export const globexBearer = (): Promise<string> => bearer({ org_id: 'org_globex', org_name: 'Globex', sub: 'user_hank' });

/** An account event as the webhook route publishes it on the bus: Acme's new HiBob account, happening now. */
export const accountEvent = (overrides: Partial<AccountEvent> = {}): AccountEvent => ({
  type: 'account.created',
  accountId: 'acc_hibob_1',
  provider: 'hibob',
  tenantId: 'org_acme',
  tenantName: 'Acme Inc',
  occurredAt: new Date().toISOString(),
  receivedAt: new Date().toISOString(),
  ...overrides,
});
