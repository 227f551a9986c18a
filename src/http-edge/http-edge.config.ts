import { Transform } from 'class-transformer';
import { IsString } from 'class-validator';
import { EnvInt, EnvRule, toList } from '../config/env.decorators';
import type { Settings } from '../config/load-config';

export interface HttpConfig {
  bodyLimitBytes: number;
  /** Time a request (headers and body) may take to arrive; slower clients get 408 and are disconnected. */
  requestTimeoutMs: number;
  /** false, a hop count, or a list of trusted proxy addresses/CIDRs. Never `true`. */
  trustProxy: false | number | string[];
  corsOrigins: string[];
}

export class HttpVariables {
  @EnvInt(1024) HTTP_BODY_LIMIT_BYTES = 16_384;
  @EnvInt(100) HTTP_REQUEST_TIMEOUT_MS = 30_000;
  @Transform(({ value }: { value: unknown }) => parseTrustProxy(value))
  @EnvRule('trustProxy', (value) =>
    value === true ? '"true" would trust a client-supplied X-Forwarded-For; give a hop count or proxy addresses' : undefined,
  )
  HTTP_TRUST_PROXY: false | number | string[] = false;
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value))
  @IsString({ each: true })
  HTTP_CORS_ORIGINS: string[] = [];
}

export const httpSettings: Settings<HttpVariables, HttpConfig> = {
  variables: HttpVariables,
  build: (env) => ({
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    trustProxy: env.HTTP_TRUST_PROXY,
    corsOrigins: env.HTTP_CORS_ORIGINS,
  }),
};

/** false, a hop count or a list of addresses; `true` is kept only so the rule can refuse it. */
function parseTrustProxy(value: unknown): unknown {
  if (typeof value !== 'string' || value === 'false') return value === 'false' ? false : value;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : toList(value);
}
