import { configRefusal as refusal } from '../../test/support/config';
import { loadConfig } from '../app.config';

const base = { STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: 'account-health-config-secret-0123456789' };

describe('account health configuration', () => {
  it('defaults: a sweep every 900 s with 1 s between pages; an incident at 5 accounts of 3 tenants within 900 s', () => {
    expect(loadConfig(base).accountHealth).toEqual({ reconcileIntervalMs: 900_000, reconcilePagePauseMs: 1_000, incident: { minAccounts: 5, minTenants: 3, windowMs: 900_000 } });
  });

  it('0 turns the sweep off', () => {
    expect(loadConfig({ ...base, ACCOUNT_RECONCILE_INTERVAL_SECONDS: '0' }).accountHealth.reconcileIntervalMs).toBe(0);
  });

  it('refuses negative or non-integer intervals and thresholds below 1, naming each variable', () => {
    const message = refusal({ ...base, ACCOUNT_RECONCILE_INTERVAL_SECONDS: '-1', ACCOUNT_RECONCILE_PAGE_PAUSE_MS: '1.5', PROVIDER_INCIDENT_MIN_ACCOUNTS: '0', PROVIDER_INCIDENT_WINDOW_SECONDS: 'soon' });
    for (const name of ['ACCOUNT_RECONCILE_INTERVAL_SECONDS', 'ACCOUNT_RECONCILE_PAGE_PAUSE_MS', 'PROVIDER_INCIDENT_MIN_ACCOUNTS', 'PROVIDER_INCIDENT_WINDOW_SECONDS']) expect(message).toContain(name);
    expect(message).not.toContain('PROVIDER_INCIDENT_MIN_TENANTS');
  });
});
