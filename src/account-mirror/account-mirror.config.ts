import { Transform } from 'class-transformer';
import { Allow } from 'class-validator';
import { EnvInt, toList } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface AccountMirrorConfig {
  /** Used only when webhooks are configured: without them nothing would keep it fresh. */
  enabled: boolean;
  /** How long an entry is trusted after it was made, so a lost webhook heals. */
  ttlMs: number;
  /** Bound of the in-memory mirror (no Redis), in tenant-provider entries. */
  memoryMaxEntries: number;
}

export class AccountMirrorVariables {
  @EnvInt(1) ACCOUNT_MIRROR_TTL_SECONDS = 3_600;
  @EnvInt(1) ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES = 10_000;
  /** Read only to know whether webhooks are on; its rules live with webhooks (webhooks.config.ts). */
  @Allow()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value))
  STACKONE_WEBHOOK_SECRET: string[] = [];
}

export const accountMirrorSettings: Settings<AccountMirrorVariables, AccountMirrorConfig> = {
  variables: AccountMirrorVariables,
  build: (env) => ({
    enabled: env.STACKONE_WEBHOOK_SECRET.length > 0,
    ttlMs: env.ACCOUNT_MIRROR_TTL_SECONDS * 1000,
    memoryMaxEntries: env.ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES,
  }),
};
