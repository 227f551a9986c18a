import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { isLoopbackHost } from '../common/loopback-host';
import { EnvBoolean, EnvInt, EnvList, EnvRule, EnvUrl } from '../config/env.decorators';
import type { Settings } from '../config/load-config';
import { looksLikePlaceholder } from '../config/placeholders';
import { isProviderKey } from '../providers/provider-key';
import { isStackOneCategory, STACKONE_CATEGORIES, StackOneCategory } from './stackone.categories';

export interface StackOneConfig {
  baseUrl: string;
  apiKey: string;
  /** Total deadline of one call to StackOne, retries included. */
  timeoutMs: number;
  /** Budget for opening the TCP/TLS connection. */
  connectTimeoutMs: number;
  maxRetries: number;
  /** Cap on a Retry-After we are willing to wait for inside the deadline. */
  maxRetryAfterMs: number;
  /** Outbound limit for the whole fleet (StackOne allows about 1,000 per minute per key). */
  rateLimitPerMinute: number;
  /** Each tenant's ceiling within that budget (0: none), so a few busy tenants cannot starve the rest. */
  rateLimitPerTenantPerMinute: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  maxResponseBytes: number;
  /** Optional allow-lists; empty means "everything StackOne allows". */
  allowedProviders: string[];
  allowedCategories: StackOneCategory[];
  providersCacheTtlMs: number;
}

export class StackOneVariables {
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\/+$/, '') : value))
  @EnvUrl(['http', 'https'])
  @EnvRule('stackOneBaseUrl', (value, env) => baseUrlProblem(value, (env as StackOneVariables).STACKONE_ALLOW_INSECURE_HTTP))
  STACKONE_BASE_URL = 'https://api.stackone.com';
  @IsNotEmpty({ message: 'is required (the StackOne project API key)' })
  @EnvRule('notPlaceholder', stackOneApiKeyProblem)
  STACKONE_API_KEY: string;
  @EnvBoolean() STACKONE_ALLOW_INSECURE_HTTP = false;
  @EnvInt(100) STACKONE_TIMEOUT_MS = 10_000;
  @EnvInt(0) STACKONE_CONNECT_TIMEOUT_MS = 3_000;
  @EnvInt(0) STACKONE_MAX_RETRIES = 2;
  @EnvInt(0) STACKONE_MAX_RETRY_AFTER_MS = 5_000;
  @EnvInt(1) STACKONE_RATE_LIMIT_PER_MINUTE = 900;
  /** Unset: a tenth of the fleet budget (see build). 0 turns the per-tenant ceiling off. */
  @IsOptional() @EnvInt(0) STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE?: number;
  @EnvInt(0) STACKONE_BREAKER_FAILURES = 5;
  @EnvInt(0) STACKONE_BREAKER_COOLDOWN_MS = 10_000;
  @EnvInt(0) STACKONE_MAX_RESPONSE_BYTES = 1_048_576;
  @EnvList(isProviderKey, (p) => `"${p}" is not a provider key`) STACKONE_ALLOWED_PROVIDERS: string[] = [];
  @EnvList(isStackOneCategory, (c) => `"${c}" is not one of ${STACKONE_CATEGORIES.join(', ')}`)
  STACKONE_ALLOWED_CATEGORIES: StackOneCategory[] = [];
  @EnvInt(0) STACKONE_PROVIDERS_CACHE_TTL_SECONDS = 300;
}

export const stackOneSettings: Settings<StackOneVariables, StackOneConfig> = {
  variables: StackOneVariables,
  build: (env) => ({
    baseUrl: env.STACKONE_BASE_URL,
    apiKey: env.STACKONE_API_KEY,
    timeoutMs: env.STACKONE_TIMEOUT_MS,
    connectTimeoutMs: env.STACKONE_CONNECT_TIMEOUT_MS,
    maxRetries: env.STACKONE_MAX_RETRIES,
    maxRetryAfterMs: env.STACKONE_MAX_RETRY_AFTER_MS,
    rateLimitPerMinute: env.STACKONE_RATE_LIMIT_PER_MINUTE,
    // A tenant at the default inbound limit (120 sessions, up to 240 calls a minute) would take a
    // quarter of the default budget: a tenth keeps ten busy tenants from filling it.
    rateLimitPerTenantPerMinute:
      env.STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE ?? Math.max(1, Math.ceil(env.STACKONE_RATE_LIMIT_PER_MINUTE / 10)),
    breakerFailureThreshold: env.STACKONE_BREAKER_FAILURES,
    breakerCooldownMs: env.STACKONE_BREAKER_COOLDOWN_MS,
    maxResponseBytes: env.STACKONE_MAX_RESPONSE_BYTES,
    allowedProviders: env.STACKONE_ALLOWED_PROVIDERS,
    allowedCategories: env.STACKONE_ALLOWED_CATEGORIES,
    providersCacheTtlMs: env.STACKONE_PROVIDERS_CACHE_TTL_SECONDS * 1000,
  }),
};

/** Why STACKONE_API_KEY cannot be used, or undefined. */
function stackOneApiKeyProblem(value: unknown): string | undefined {
  return typeof value === 'string' && looksLikePlaceholder(value)
    ? "is a placeholder (as in .env.example); set your StackOne project's API key"
    : undefined;
}

function baseUrlProblem(value: unknown, insecureAllowed: unknown): string | undefined {
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    return undefined; // not a URL at all: EnvUrl says so
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.search || url.hash) return 'must not contain a query or fragment';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && insecureAllowed !== true) {
    return 'plain http is only allowed to loopback hosts (or set STACKONE_ALLOW_INSECURE_HTTP=true)';
  }
  return undefined;
}
