import { EnvInt } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface IdempotencyConfig {
  ttlSeconds: number;
  /** Bounds of the in-memory idempotency store (used without Redis). */
  memoryMaxEntries: number;
  memoryMaxBytes: number;
}

export class IdempotencyVariables {
  @EnvInt(0) IDEMPOTENCY_TTL_SECONDS = 86_400;
  @EnvInt(1) IDEMPOTENCY_MEMORY_MAX_ENTRIES = 10_000;
  @EnvInt(65_536) IDEMPOTENCY_MEMORY_MAX_BYTES = 32 * 1024 * 1024;
}

export const idempotencySettings: Settings<IdempotencyVariables, IdempotencyConfig> = {
  variables: IdempotencyVariables,
  build: (env) => ({
    ttlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
    memoryMaxEntries: env.IDEMPOTENCY_MEMORY_MAX_ENTRIES,
    memoryMaxBytes: env.IDEMPOTENCY_MEMORY_MAX_BYTES,
  }),
};
