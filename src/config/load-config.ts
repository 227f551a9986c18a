import { AllConfig, ApiKeyEntry, JwtConfig } from './config.types';
import { ApiKeyVariable, EnvironmentVariables, JWT_ALGORITHMS, validateEnvironment } from './env.schema';

export type RawEnv = Record<string, string | undefined>;

/**
 * Parses and validates the environment (env.schema.ts) and arranges it into the typed namespaces.
 * Throws ConfigError naming every offending variable; never echoes a secret value.
 */
export function loadConfig(raw: RawEnv): AllConfig {
  const env = validateEnvironment(raw);
  return {
    app: {
      nodeEnv: env.NODE_ENV,
      host: env.HOST,
      port: env.PORT,
      logLevel: env.LOG_LEVEL,
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
      metricsPort: env.METRICS_PORT,
      metricsHost: env.METRICS_HOST ?? env.HOST,
      apiDocsEnabled: env.API_DOCS_ENABLED,
    },
    stackone: {
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
    },
    auth: {
      jwt: jwtConfig(env),
      apiKeys: env.AUTH_API_KEYS.map(apiKeyEntry),
      tenantIdClaim: env.AUTH_TENANT_ID_CLAIM,
      tenantNameClaim: env.AUTH_TENANT_NAME_CLAIM,
      usernameClaim: env.AUTH_USERNAME_CLAIM,
    },
    http: {
      bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
      requestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
      trustProxy: env.HTTP_TRUST_PROXY,
      corsOrigins: env.HTTP_CORS_ORIGINS,
      rateLimitPerTenantPerMinute: env.RATE_LIMIT_PER_TENANT,
      idempotencyTtlSeconds: env.IDEMPOTENCY_TTL_SECONDS,
      idempotencyMemoryMaxEntries: env.IDEMPOTENCY_MEMORY_MAX_ENTRIES,
      idempotencyMemoryMaxBytes: env.IDEMPOTENCY_MEMORY_MAX_BYTES,
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS, required: env.REDIS_REQUIRED },
    sessions: { retentionSeconds: env.SESSION_RETENTION_SECONDS, memoryMaxEntries: env.SESSION_MEMORY_MAX_ENTRIES },
    events: { retentionSeconds: env.EVENT_RETENTION_SECONDS, memoryMaxEntries: env.EVENT_MEMORY_MAX_ENTRIES },
    eventRelay: {
      subscribers: env.eventSubscribers(),
      baseDelayMs: env.EVENT_DELIVERY_BASE_DELAY_MS,
      maxAttempts: env.EVENT_DELIVERY_MAX_ATTEMPTS,
      timeoutMs: env.EVENT_DELIVERY_TIMEOUT_MS,
      concurrency: env.EVENT_DELIVERY_CONCURRENCY,
      memoryMaxJobs: env.EVENT_DELIVERY_MEMORY_MAX_JOBS,
    },
    webhooks: { secrets: env.STACKONE_WEBHOOK_SECRET, maxAgeSeconds: env.STACKONE_WEBHOOK_MAX_AGE_SECONDS },
    accountMirror: {
      enabled: env.STACKONE_WEBHOOK_SECRET.length > 0,
      ttlMs: env.ACCOUNT_MIRROR_TTL_SECONDS * 1000,
      memoryMaxEntries: env.ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES,
    },
  };
}

function jwtConfig(env: EnvironmentVariables): JwtConfig | undefined {
  const [source] = env.jwtKeySources();
  if (!source) return undefined;
  const algorithms = env.AUTH_JWT_ALGORITHMS ?? [];
  return {
    ...source,
    algorithms: algorithms.length > 0 ? algorithms : [JWT_ALGORITHMS[source.mode][0]],
    issuer: env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE,
    clockToleranceSeconds: env.AUTH_JWT_CLOCK_TOLERANCE_SECONDS,
  };
}

function apiKeyEntry(key: ApiKeyVariable, index: number): ApiKeyEntry {
  const name = typeof key.name === 'string' && key.name.length > 0 ? key.name : `key-${index}`;
  if (key.actForAnyTenant) return { name, sha256: key.sha256, actForAnyTenant: true };
  // Validation guarantees a bound key's tenant (env.schema.ts).
  return { name, sha256: key.sha256, tenantId: key.tenantId ?? '', tenantName: key.tenantName ?? '', actForAnyTenant: false };
}

/** The process environment, plus a `.env` file in the working directory when one exists. */
export function readEnvironment(): RawEnv {
  try {
    process.loadEnvFile('.env');
  } catch {
    // No .env file: the environment alone is the configuration.
  }
  return { ...process.env };
}
