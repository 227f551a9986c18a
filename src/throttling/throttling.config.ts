import { EnvInt } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface ThrottlingConfig {
  /** Requests each tenant may make a minute to the tenant-scoped routes. */
  perTenantPerMinute: number;
}

export class ThrottlingVariables {
  @EnvInt(1) RATE_LIMIT_PER_TENANT = 120;
}

export const throttlingSettings: Settings<ThrottlingVariables, ThrottlingConfig> = {
  variables: ThrottlingVariables,
  build: (env) => ({ perTenantPerMinute: env.RATE_LIMIT_PER_TENANT }),
};
