import { createPublicKey } from 'node:crypto';
import { plainToInstance, Transform } from 'class-transformer';
import {
  getMetadataStorage,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MinLength,
  validateSync,
  ValidateNested,
  ValidationError,
} from 'class-validator';
import { isTenantId, isTenantName, TENANT_ID_RULE, TENANT_NAME_RULE } from '../auth/tenant';
import { EventSubscriber, isLoopbackHost, parseEventSubscribers } from './event-subscribers';
import { isProviderKey } from '../providers/provider-key';
import { isStackOneCategory, STACKONE_CATEGORIES, StackOneCategory } from '../stackone/stackone.categories';
import { AppConfig, JwtKeyMode, JwtKeySource } from './config.types';
import { EnvBoolean, EnvInt, EnvList, EnvOneOf, EnvRule, EnvUrl, toList } from './env.decorators';
import { jwtSecretProblem, stackOneApiKeyProblem, webhookSecretsProblem } from './weak-secrets';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Algorithms each key source may verify with (never HS* with a public key: no key confusion by configuration); the first is the default. */
export const JWT_ALGORITHMS: Record<JwtKeyMode, readonly string[]> = {
  secret: ['HS256', 'HS384', 'HS512'],
  'public-key': ASYMMETRIC_ALGORITHMS,
  jwks: ASYMMETRIC_ALGORITHMS,
};

const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One entry of AUTH_API_KEYS. Only the digest of a key is configured, never the key. */
export class ApiKeyVariable {
  /** Not validated: a missing or odd name falls back to `key-<index>` (it only labels logs). */
  name?: unknown;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @Matches(/^[0-9a-f]{64}$/, { message: 'must be the 64-character hex SHA-256 of the key (never the key itself)' })
  sha256: string;

  @Transform(({ value }: { value: unknown }) => value === true)
  actForAnyTenant = false;

  /** A bound key's tenant obeys the same rules as X-Tenant-Id / X-Tenant-Name and JWT claims. */
  @Transform(({ value }: { value: unknown }) => nonEmptyString(value))
  @EnvRule('boundTenantId', (value, key) => boundTenantProblem(value, key as ApiKeyVariable, isTenantId, TENANT_ID_RULE))
  tenantId?: string;

  @Transform(({ value }: { value: unknown }) => nonEmptyString(value))
  @EnvRule('boundTenantName', (value, key) => boundTenantProblem(value, key as ApiKeyVariable, isTenantName, TENANT_NAME_RULE))
  tenantName?: string;
}

/** Stand for an AUTH_API_KEYS value that is not JSON, or JSON but not an array (the list's rule names which). */
const NOT_JSON = Symbol('not JSON');
const NOT_AN_ARRAY = Symbol('not an array');

/**
 * The environment, parsed and validated in one pass: every value below is already typed (numbers,
 * booleans, lists, API-key entries), defaults are the initialisers, and `loadConfig` only arranges
 * them into namespaces.
 */
export class EnvironmentVariables {
  @EnvOneOf(NODE_ENVS) NODE_ENV: AppConfig['nodeEnv'] = 'production';
  @IsString() @IsNotEmpty() HOST = '0.0.0.0';
  @EnvInt(0) PORT = 3000;
  @EnvOneOf(LOG_LEVELS) LOG_LEVEL: AppConfig['logLevel'] = 'info';
  @EnvInt(0) SHUTDOWN_GRACE_MS = 5000;
  /** Set: /metrics is served only on this port (its own listener), not on PORT. */
  @IsOptional()
  @EnvInt(1)
  @EnvRule('metricsPort', (value, env) => metricsPortProblem(value, env as EnvironmentVariables))
  METRICS_PORT?: number;
  /** Unset: HOST. Only read when METRICS_PORT is set. */
  @IsOptional() @IsString() @IsNotEmpty() METRICS_HOST?: string;
  @EnvBoolean() API_DOCS_ENABLED = true;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\/+$/, '') : value))
  @EnvUrl(['http', 'https'])
  @EnvRule('stackOneBaseUrl', (value, env) => baseUrlProblem(value, (env as EnvironmentVariables).STACKONE_ALLOW_INSECURE_HTTP))
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
  /** Unset: a tenth of the fleet budget (see loadConfig). 0 turns the per-tenant ceiling off. */
  @IsOptional() @EnvInt(0) STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE?: number;
  @EnvInt(0) STACKONE_BREAKER_FAILURES = 5;
  @EnvInt(0) STACKONE_BREAKER_COOLDOWN_MS = 10_000;
  @EnvInt(0) STACKONE_MAX_RESPONSE_BYTES = 1_048_576;
  @EnvList(isProviderKey, (p) => `"${p}" is not a provider key`) STACKONE_ALLOWED_PROVIDERS: string[] = [];
  @EnvList(isStackOneCategory, (c) => `"${c}" is not one of ${STACKONE_CATEGORIES.join(', ')}`)
  STACKONE_ALLOWED_CATEGORIES: StackOneCategory[] = [];
  @EnvInt(0) STACKONE_PROVIDERS_CACHE_TTL_SECONDS = 300;

  @IsOptional()
  @MinLength(32, { message: 'must be at least 32 bytes' })
  @EnvRule('unguessableSecret', jwtSecretProblem)
  AUTH_JWT_SECRET?: string;
  /** `\n` escapes become newlines, so a PEM fits on one line of a .env file. */
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.replace(/\\n/g, '\n') : value))
  @EnvRule('publicKeyPem', publicKeyProblem)
  AUTH_JWT_PUBLIC_KEY?: string;
  @IsOptional() @EnvUrl(['http', 'https']) AUTH_JWKS_URL?: string;
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value))
  @EnvRule('jwtAlgorithms', (value, env) => algorithmsProblem(value as string[], (env as EnvironmentVariables).jwtKeySources()))
  AUTH_JWT_ALGORITHMS?: string[];
  @IsOptional() @IsString() @IsNotEmpty() AUTH_JWT_ISSUER?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_JWT_AUDIENCE?: string;
  @EnvInt(0) AUTH_JWT_CLOCK_TOLERANCE_SECONDS = 30;
  @IsString() @IsNotEmpty() AUTH_TENANT_ID_CLAIM = 'org_id';
  @IsString() @IsNotEmpty() AUTH_TENANT_NAME_CLAIM = 'org_name';
  @IsString() @IsNotEmpty() AUTH_USERNAME_CLAIM = 'email';
  @Transform(({ value }: { value: unknown }) => parseApiKeys(value))
  @EnvRule('apiKeyList', (value) => {
    if (value === NOT_JSON) return 'not valid JSON (expected an array of {name, sha256, tenantId, tenantName})';
    return value === NOT_AN_ARRAY ? 'expected a JSON array' : undefined;
  })
  @ValidateNested({ each: true })
  AUTH_API_KEYS: ApiKeyVariable[] = [];

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
  @EnvInt(1) RATE_LIMIT_PER_TENANT = 120;
  @EnvInt(0) IDEMPOTENCY_TTL_SECONDS = 86_400;
  @EnvInt(1) IDEMPOTENCY_MEMORY_MAX_ENTRIES = 10_000;
  @EnvInt(65_536) IDEMPOTENCY_MEMORY_MAX_BYTES = 32 * 1024 * 1024;

  @IsOptional() @EnvUrl(['redis', 'rediss']) REDIS_URL?: string;
  /** true: refuse to start when REDIS_URL is set and Redis does not answer at start-up (instead of starting degraded). */
  @EnvBoolean() REDIS_REQUIRED = false;
  @IsString() REDIS_KEY_PREFIX = 'scs:';
  @EnvInt(10) REDIS_COMMAND_TIMEOUT_MS = 500;

  @EnvInt(0) SESSION_RETENTION_SECONDS = 604_800;
  @EnvInt(1) SESSION_MEMORY_MAX_ENTRIES = 10_000;
  @EnvInt(1) EVENT_RETENTION_SECONDS = 604_800;
  @EnvInt(1) EVENT_MEMORY_MAX_ENTRIES = 10_000;
  /** A comma list, so a new secret can be added before the old one is removed. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value))
  @EnvRule('webhookSecrets', (value) => webhookSecretsProblem(value))
  STACKONE_WEBHOOK_SECRET: string[] = [];
  @EnvInt(1) STACKONE_WEBHOOK_MAX_AGE_SECONDS = 300;
  @EnvInt(1) ACCOUNT_MIRROR_TTL_SECONDS = 3_600;
  @EnvInt(1) ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES = 10_000;

  /** Kept as given; eventSubscribers() parses it (the rule below reports every problem at once). */
  @IsOptional()
  @EnvRule('eventSubscribers', (value, env) => {
    const { problems } = parseEventSubscribers(value, (env as EnvironmentVariables).EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP === true);
    return problems.length > 0 ? problems.join('; ') : undefined;
  })
  EVENT_SUBSCRIBERS?: string;
  @EnvBoolean() EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP = false;
  /** The first retry waits about this long; each next one twice as long (see event-relay/backoff.ts). */
  @EnvInt(1) EVENT_DELIVERY_BASE_DELAY_MS = 5_000;
  /** 15 attempts at the default base delay span about 23 hours. */
  @EnvInt(1) EVENT_DELIVERY_MAX_ATTEMPTS = 15;
  @EnvInt(100) EVENT_DELIVERY_TIMEOUT_MS = 10_000;
  @EnvInt(1) EVENT_DELIVERY_CONCURRENCY = 4;
  @EnvInt(1) EVENT_DELIVERY_MEMORY_MAX_JOBS = 10_000;

  /** EVENT_SUBSCRIBERS, parsed (empty when unset; only called once validation passed). */
  eventSubscribers(): EventSubscriber[] {
    return parseEventSubscribers(this.EVENT_SUBSCRIBERS, this.EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP).subscribers;
  }

  /** The JWT key sources that are set; a valid configuration has at most one. */
  jwtKeySources(): JwtKeySource[] {
    const sources: JwtKeySource[] = [];
    if (this.AUTH_JWT_SECRET !== undefined) sources.push({ mode: 'secret', secret: this.AUTH_JWT_SECRET });
    if (this.AUTH_JWT_PUBLIC_KEY !== undefined) sources.push({ mode: 'public-key', publicKeyPem: this.AUTH_JWT_PUBLIC_KEY });
    if (this.AUTH_JWKS_URL !== undefined) sources.push({ mode: 'jwks', jwksUrl: this.AUTH_JWKS_URL });
    return sources;
  }
}

/** Every variable the service reads (from the schema's own metadata), for docs and the compose test. */
export const ENV_KEYS: readonly string[] = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', false, false)
      .map((m) => m.propertyName),
  ),
];
const ENV_KEY_SET: ReadonlySet<string> = new Set(ENV_KEYS);

/**
 * Parses and validates the environment in one pass; throws a ConfigError with one line per bad
 * variable, naming it and never echoing its value. Empty values count as unset.
 */
export function validateEnvironment(raw: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.fromEntries(Object.entries(raw).filter(([k, v]) => v !== undefined && v !== '' && ENV_KEY_SET.has(k)));
  const env = plainToInstance(EnvironmentVariables, known);
  const problems = [...validateSync(env).flatMap((e) => problemLines(e, e.property)), ...wholeConfigurationProblems(env)];
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return env;
}

/** Rules about several variables at once. */
function wholeConfigurationProblems(env: EnvironmentVariables): string[] {
  const problems: string[] = [];
  const jwtSources = env.jwtKeySources().length;
  if (jwtSources > 1) problems.push('AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS_URL are exclusive: set exactly one');
  if (jwtSources === 0 && env.AUTH_API_KEYS.length === 0) {
    problems.push('AUTH_*: configure at least one auth method (AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL or AUTH_API_KEYS)');
  }
  return problems;
}

/** `AUTH_API_KEYS[0].tenantId: must be …` — a nested entry is named by its index and field. */
function problemLines(error: ValidationError, path: string): string[] {
  const constraints = Object.entries(error.constraints ?? {});
  // A list's own rule already says what is wrong when it is not a list at all.
  const own = constraints.length > 1 ? constraints.filter(([type]) => type !== 'nestedValidation') : constraints;
  const lines = own.length > 0 ? [`${path}: ${own.map(([, message]) => message).join('; ')}`] : [];
  for (const child of error.children ?? []) {
    lines.push(...problemLines(child, /^\d+$/.test(child.property) ? `${path}[${child.property}]` : `${path}.${child.property}`));
  }
  return lines;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function boundTenantProblem(value: unknown, key: ApiKeyVariable, rule: (v: unknown) => boolean, ruleText: string): string | undefined {
  if (value === undefined) return key.actForAnyTenant ? undefined : 'required unless actForAnyTenant is true (a key needs tenantId and tenantName)';
  return rule(value) ? undefined : `must be ${ruleText}`;
}

function parseApiKeys(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return NOT_JSON;
  }
  if (!Array.isArray(parsed)) return NOT_AN_ARRAY;
  // Anything but an object is an entry without a sha256, which the entry's own rules report.
  return parsed.map((item: unknown) =>
    plainToInstance(ApiKeyVariable, typeof item === 'object' && item !== null && !Array.isArray(item) ? item : {}),
  );
}

/** false, a hop count or a list of addresses; `true` is kept only so the rule can refuse it. */
function parseTrustProxy(value: unknown): unknown {
  if (typeof value !== 'string' || value === 'false') return value === 'false' ? false : value;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : toList(value);
}

function metricsPortProblem(value: unknown, env: EnvironmentVariables): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined; // EnvInt says so
  if (value > 65_535) return 'must be a port number (1-65535)';
  return value === env.PORT ? 'must differ from PORT (the API port): the point is to keep /metrics off it' : undefined;
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

function publicKeyProblem(value: unknown): string | undefined {
  try {
    const key = createPublicKey(value as string);
    const bits = key.asymmetricKeyDetails?.modulusLength;
    return key.asymmetricKeyType === 'rsa' && bits !== undefined && bits < 2048 ? `RSA keys must have at least 2048 bits (got ${bits})` : undefined;
  } catch {
    return 'not a PEM public key';
  }
}

function algorithmsProblem(algorithms: string[], sources: JwtKeySource[]): string | undefined {
  if (sources.length !== 1) return undefined;
  const { mode } = sources[0];
  const allowed = JWT_ALGORITHMS[mode];
  const bad = algorithms.filter((alg) => !allowed.includes(alg));
  return bad.length > 0 ? bad.map((alg) => `"${alg}" cannot be used with ${mode} keys (allowed: ${allowed.join(', ')})`).join('; ') : undefined;
}
