import { EnvInt } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface SessionsConfig {
  /** How long a session record outlives its expiresAt (status reads and listings). */
  retentionSeconds: number;
  /** Bound of the in-memory session store (used without Redis); the oldest records go first. */
  memoryMaxEntries: number;
}

export class SessionsVariables {
  @EnvInt(0) SESSION_RETENTION_SECONDS = 604_800;
  @EnvInt(1) SESSION_MEMORY_MAX_ENTRIES = 10_000;
}

export const sessionsSettings: Settings<SessionsVariables, SessionsConfig> = {
  variables: SessionsVariables,
  build: (env) => ({ retentionSeconds: env.SESSION_RETENTION_SECONDS, memoryMaxEntries: env.SESSION_MEMORY_MAX_ENTRIES }),
};
