import { EnvInt } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface AccountHealthConfig {
  /** Between reconciliation rounds; 0: no sweep. */
  reconcileIntervalMs: number;
  /** Pause between two pages of a round: bounds the sweep's share of the StackOne budget. */
  reconcilePagePauseMs: number;
  incident: {
    minAccounts: number;
    minTenants: number;
    windowMs: number;
  };
}

export class AccountHealthVariables {
  @EnvInt(0) ACCOUNT_RECONCILE_INTERVAL_SECONDS = 900;
  @EnvInt(0) ACCOUNT_RECONCILE_PAGE_PAUSE_MS = 1_000;
  @EnvInt(1) PROVIDER_INCIDENT_MIN_ACCOUNTS = 5;
  @EnvInt(1) PROVIDER_INCIDENT_MIN_TENANTS = 3;
  @EnvInt(1) PROVIDER_INCIDENT_WINDOW_SECONDS = 900;
}

export const accountHealthSettings: Settings<AccountHealthVariables, AccountHealthConfig> = {
  variables: AccountHealthVariables,
  build: (env) => ({
    reconcileIntervalMs: env.ACCOUNT_RECONCILE_INTERVAL_SECONDS * 1000,
    reconcilePagePauseMs: env.ACCOUNT_RECONCILE_PAGE_PAUSE_MS,
    incident: {
      minAccounts: env.PROVIDER_INCIDENT_MIN_ACCOUNTS,
      minTenants: env.PROVIDER_INCIDENT_MIN_TENANTS,
      windowMs: env.PROVIDER_INCIDENT_WINDOW_SECONDS * 1000,
    },
  }),
};
