import { createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
import { AllConfig, ApiKeyEntry, AuthConfig, JwtConfig } from './config.types';
import { ConfigError, EnvironmentVariables, validateEnvironment } from './env.schema';
import { isTenantId, isTenantName, TENANT_ID_RULE, TENANT_NAME_RULE } from '../auth/tenant';
import { weakSecretProblems } from './weak-secrets';
import { PROVIDER_KEY_PATTERN } from '../providers/provider-key';
import { STACKONE_CATEGORIES, StackOneCategory } from '../stackone/stackone.categories';

export type RawEnv = Record<string, string | undefined>;

const HMAC_ALGS = ['HS256', 'HS384', 'HS512'];
const ASYMMETRIC_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const int = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number.parseInt(value, 10);
const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/**
 * Validates the environment and builds every typed namespace. Throws ConfigError with a message
 * naming the offending variable; never echoes a secret value.
 */
export function loadConfig(raw: RawEnv): AllConfig {
  const env = validateEnvironment(raw);
  const problems: string[] = [];
  const fleetPerMinute = int(env.STACKONE_RATE_LIMIT_PER_MINUTE, 900);
  const config: AllConfig = {
    app: {
      nodeEnv: (env.NODE_ENV ?? 'production') as AllConfig['app']['nodeEnv'],
      host: env.HOST ?? '0.0.0.0',
      port: int(env.PORT, 3000),
      logLevel: (env.LOG_LEVEL ?? 'info') as AllConfig['app']['logLevel'],
      shutdownGraceMs: int(env.SHUTDOWN_GRACE_MS, 5000),
    },
    stackone: {
      baseUrl: checkBaseUrl(env, problems),
      apiKey: env.STACKONE_API_KEY,
      timeoutMs: int(env.STACKONE_TIMEOUT_MS, 10_000),
      connectTimeoutMs: int(env.STACKONE_CONNECT_TIMEOUT_MS, 3_000),
      maxRetries: int(env.STACKONE_MAX_RETRIES, 2),
      maxRetryAfterMs: int(env.STACKONE_MAX_RETRY_AFTER_MS, 5_000),
      rateLimitPerMinute: fleetPerMinute,
      // A tenant at the default inbound limit (120 sessions, up to 240 calls a minute) would take a
      // quarter of the default budget: a tenth keeps ten busy tenants from filling it.
      rateLimitPerTenantPerMinute: int(env.STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE, Math.max(1, Math.ceil(fleetPerMinute / 10))),
      breakerFailureThreshold: int(env.STACKONE_BREAKER_FAILURES, 5),
      breakerCooldownMs: int(env.STACKONE_BREAKER_COOLDOWN_MS, 10_000),
      maxResponseBytes: int(env.STACKONE_MAX_RESPONSE_BYTES, 1_048_576),
      allowedProviders: checkProviders(env, problems),
      allowedCategories: checkCategories(env, problems),
      providersCacheTtlMs: int(env.STACKONE_PROVIDERS_CACHE_TTL_SECONDS, 300) * 1000,
    },
    auth: buildAuth(env, problems),
    http: {
      bodyLimitBytes: int(env.HTTP_BODY_LIMIT_BYTES, 16_384),
      requestTimeoutMs: int(env.HTTP_REQUEST_TIMEOUT_MS, 30_000),
      trustProxy: parseTrustProxy(env.HTTP_TRUST_PROXY, problems),
      corsOrigins: list(env.HTTP_CORS_ORIGINS),
      rateLimitPerTenantPerMinute: int(env.RATE_LIMIT_PER_TENANT, 120),
      idempotencyTtlSeconds: int(env.IDEMPOTENCY_TTL_SECONDS, 86_400),
      idempotencyMemoryMaxEntries: int(env.IDEMPOTENCY_MEMORY_MAX_ENTRIES, 10_000),
      idempotencyMemoryMaxBytes: int(env.IDEMPOTENCY_MEMORY_MAX_BYTES, 32 * 1024 * 1024),
    },
    redis: { url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX ?? 'scs:', commandTimeoutMs: int(env.REDIS_COMMAND_TIMEOUT_MS, 500) },
  };
  problems.push(...weakSecretProblems(env));
  if (config.stackone.timeoutMs < 100) problems.push('STACKONE_TIMEOUT_MS: must be at least 100');
  if (config.stackone.rateLimitPerMinute < 1) problems.push('STACKONE_RATE_LIMIT_PER_MINUTE: must be at least 1');
  if (config.http.rateLimitPerTenantPerMinute < 1) problems.push('RATE_LIMIT_PER_TENANT: must be at least 1');
  if (config.http.idempotencyMemoryMaxEntries < 1) problems.push('IDEMPOTENCY_MEMORY_MAX_ENTRIES: must be at least 1');
  if (config.http.idempotencyMemoryMaxBytes < 65_536) problems.push('IDEMPOTENCY_MEMORY_MAX_BYTES: must be at least 65536');
  if (config.redis.commandTimeoutMs < 10) problems.push('REDIS_COMMAND_TIMEOUT_MS: must be at least 10');
  if (config.http.bodyLimitBytes < 1024) problems.push('HTTP_BODY_LIMIT_BYTES: must be at least 1024');
  if (config.http.requestTimeoutMs < 100) problems.push('HTTP_REQUEST_TIMEOUT_MS: must be at least 100');
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return config;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function checkBaseUrl(env: EnvironmentVariables, problems: string[]): string {
  const value = env.STACKONE_BASE_URL ?? 'https://api.stackone.com';
  const url = new URL(value);
  if (url.username || url.password) problems.push('STACKONE_BASE_URL: must not contain credentials');
  if (url.search || url.hash) problems.push('STACKONE_BASE_URL: must not contain a query or fragment');
  const insecureAllowed = env.STACKONE_ALLOW_INSECURE_HTTP === 'true';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !insecureAllowed) {
    problems.push('STACKONE_BASE_URL: plain http is only allowed to loopback hosts (or set STACKONE_ALLOW_INSECURE_HTTP=true)');
  }
  return value.replace(/\/+$/, '');
}

function checkProviders(env: EnvironmentVariables, problems: string[]): string[] {
  const providers = list(env.STACKONE_ALLOWED_PROVIDERS);
  for (const p of providers) {
    if (!PROVIDER_KEY_PATTERN.test(p)) problems.push(`STACKONE_ALLOWED_PROVIDERS: "${p}" is not a provider key`);
  }
  return providers;
}

function checkCategories(env: EnvironmentVariables, problems: string[]): StackOneCategory[] {
  const categories = list(env.STACKONE_ALLOWED_CATEGORIES);
  for (const c of categories) {
    if (!(STACKONE_CATEGORIES as readonly string[]).includes(c)) {
      problems.push(`STACKONE_ALLOWED_CATEGORIES: "${c}" is not one of ${STACKONE_CATEGORIES.join(', ')}`);
    }
  }
  return categories as StackOneCategory[];
}

function parseTrustProxy(value: string | undefined, problems: string[]): false | number | string[] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') {
    problems.push('HTTP_TRUST_PROXY: "true" would trust a client-supplied X-Forwarded-For; give a hop count or proxy addresses');
    return false;
  }
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10);
  return list(value);
}

function buildAuth(env: EnvironmentVariables, problems: string[]): AuthConfig {
  const jwt = buildJwt(env, problems);
  const apiKeys = parseApiKeys(env.AUTH_API_KEYS, problems);
  if (!jwt && apiKeys.length === 0) {
    problems.push('AUTH_*: configure at least one auth method (AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL or AUTH_API_KEYS)');
  }
  return {
    jwt,
    apiKeys,
    tenantIdClaim: env.AUTH_TENANT_ID_CLAIM ?? 'org_id',
    tenantNameClaim: env.AUTH_TENANT_NAME_CLAIM ?? 'org_name',
    usernameClaim: env.AUTH_USERNAME_CLAIM ?? 'email',
  };
}

function buildJwt(env: EnvironmentVariables, problems: string[]): JwtConfig | undefined {
  const modes = [
    env.AUTH_JWT_SECRET ? 'secret' : undefined,
    env.AUTH_JWT_PUBLIC_KEY ? 'public-key' : undefined,
    env.AUTH_JWKS_URL ? 'jwks' : undefined,
  ].filter((m): m is JwtConfig['mode'] => m !== undefined);
  if (modes.length === 0) return undefined;
  if (modes.length > 1) {
    problems.push('AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS_URL are exclusive: set exactly one');
    return undefined;
  }
  const mode = modes[0];
  const allowed = mode === 'secret' ? HMAC_ALGS : ASYMMETRIC_ALGS;
  const algorithms = list(env.AUTH_JWT_ALGORITHMS);
  const chosen = algorithms.length > 0 ? algorithms : mode === 'secret' ? ['HS256'] : ['RS256'];
  for (const alg of chosen) {
    if (!allowed.includes(alg)) {
      problems.push(`AUTH_JWT_ALGORITHMS: "${alg}" cannot be used with ${mode} keys (allowed: ${allowed.join(', ')})`);
    }
  }
  let publicKeyPem: string | undefined;
  if (mode === 'public-key') {
    publicKeyPem = (env.AUTH_JWT_PUBLIC_KEY ?? '').replace(/\\n/g, '\n');
    try {
      const key = createPublicKey(publicKeyPem);
      const bits = key.asymmetricKeyDetails?.modulusLength;
      if (key.asymmetricKeyType === 'rsa' && bits !== undefined && bits < 2048) {
        problems.push(`AUTH_JWT_PUBLIC_KEY: RSA keys must have at least 2048 bits (got ${bits})`);
      }
    } catch {
      problems.push('AUTH_JWT_PUBLIC_KEY: not a PEM public key');
    }
  }
  return {
    mode,
    secret: env.AUTH_JWT_SECRET,
    publicKeyPem,
    jwksUrl: env.AUTH_JWKS_URL,
    algorithms: chosen,
    issuer: env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE,
    clockToleranceSeconds: int(env.AUTH_JWT_CLOCK_TOLERANCE_SECONDS, 30),
  };
}

function parseApiKeys(value: string | undefined, problems: string[]): ApiKeyEntry[] {
  if (value === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push('AUTH_API_KEYS: not valid JSON (expected an array of {name, sha256, tenantId, tenantName})');
    return [];
  }
  if (!Array.isArray(parsed)) {
    problems.push('AUTH_API_KEYS: expected a JSON array');
    return [];
  }
  const entries: ApiKeyEntry[] = [];
  parsed.forEach((item: unknown, i: number) => {
    const e = (item ?? {}) as Record<string, unknown>;
    const at = `AUTH_API_KEYS[${i}]`;
    const name = typeof e.name === 'string' && e.name.length > 0 ? e.name : `key-${i}`;
    const sha256 = typeof e.sha256 === 'string' ? e.sha256.toLowerCase() : '';
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      problems.push(`${at}.sha256: must be the 64-character hex SHA-256 of the key (never the key itself)`);
      return;
    }
    const actForAnyTenant = e.actForAnyTenant === true;
    const tenantId = typeof e.tenantId === 'string' && e.tenantId.length > 0 ? e.tenantId : undefined;
    const tenantName = typeof e.tenantName === 'string' && e.tenantName.length > 0 ? e.tenantName : undefined;
    if (!actForAnyTenant && (!tenantId || !tenantName)) {
      problems.push(`${at}: a key needs tenantId and tenantName unless actForAnyTenant is true`);
      return;
    }
    // A bound key's tenant obeys the same rules as X-Tenant-Id / X-Tenant-Name and JWT claims.
    if (tenantId !== undefined && !isTenantId(tenantId)) problems.push(`${at}.tenantId: must be ${TENANT_ID_RULE}`);
    if (tenantName !== undefined && !isTenantName(tenantName)) problems.push(`${at}.tenantName: must be ${TENANT_NAME_RULE}`);
    entries.push({ name, sha256, tenantId, tenantName, actForAnyTenant });
  });
  return entries;
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
