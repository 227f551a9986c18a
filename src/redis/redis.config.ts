import { IsOptional, IsString } from 'class-validator';
import { EnvBoolean, EnvInt, EnvUrl } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface RedisConfig {
  url?: string;
  keyPrefix: string;
  /** Longest wait for one Redis command; past it the caller degrades (see RedisHealth). */
  commandTimeoutMs: number;
  /** Refuse to start when Redis (url set) does not answer at start-up, instead of starting degraded. */
  required: boolean;
}

export class RedisVariables {
  @IsOptional() @EnvUrl(['redis', 'rediss']) REDIS_URL?: string;
  /** true: refuse to start when REDIS_URL is set and Redis does not answer at start-up (instead of starting degraded). */
  @EnvBoolean() REDIS_REQUIRED = false;
  @IsString() REDIS_KEY_PREFIX = 'scs:';
  @EnvInt(10) REDIS_COMMAND_TIMEOUT_MS = 500;
}

export const redisSettings: Settings<RedisVariables, RedisConfig> = {
  variables: RedisVariables,
  build: (env) => ({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, required: env.REDIS_REQUIRED }),
};
