import { createPublicKey } from 'node:crypto';
import { plainToInstance, Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional, IsString, Matches, MinLength, ValidateNested } from 'class-validator';
import { EnvInt, EnvRule, EnvUrl, toList } from '../config/env.decorators';
import type { Settings } from '../config/load-config';
import { looksLikePlaceholder } from '../config/placeholders';
import { isTenantId, isTenantName, TENANT_ID_RULE, TENANT_NAME_RULE } from './tenant';

/** Where JWT verification keys come from: exactly one source, and only its own field. */
export type JwtKeySource =
  | { mode: 'secret'; secret: string }
  | { mode: 'public-key'; publicKeyPem: string }
  | { mode: 'jwks'; jwksUrl: string };
export type JwtKeyMode = JwtKeySource['mode'];

export type JwtConfig = JwtKeySource & {
  algorithms: string[];
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
};

interface ApiKeyIdentity {
  /** A label for logs and metrics; never the key itself. */
  name: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
}

/** A key bound to one tenant, or (actForAnyTenant) one whose caller names the tenant with X-Tenant-Id / X-Tenant-Name. */
export type ApiKeyEntry =
  | (ApiKeyIdentity & { actForAnyTenant: false; tenantId: string; tenantName: string })
  | (ApiKeyIdentity & { actForAnyTenant: true });

export interface AuthConfig {
  jwt?: JwtConfig;
  apiKeys: ApiKeyEntry[];
  tenantIdClaim: string;
  tenantNameClaim: string;
  usernameClaim: string;
}

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Algorithms each key source may verify with (never HS* with a public key: no key confusion by configuration); the first is the default. */
export const JWT_ALGORITHMS: Record<JwtKeyMode, readonly string[]> = {
  secret: ['HS256', 'HS384', 'HS512'],
  'public-key': ASYMMETRIC_ALGORITHMS,
  jwks: ASYMMETRIC_ALGORITHMS,
};

/** A 32-byte random secret in hex, base64 or base64url shows far more distinct characters than this. */
const MIN_DISTINCT_CHARACTERS = 8;
const HOW_TO_GENERATE = 'generate one with `openssl rand -base64 32`';

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

export class AuthVariables {
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
  @EnvRule('jwtAlgorithms', (value, env) => algorithmsProblem(value as string[], (env as AuthVariables).jwtKeySources()))
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

  /** The JWT key sources that are set; a valid configuration has at most one. */
  jwtKeySources(): JwtKeySource[] {
    const sources: JwtKeySource[] = [];
    if (this.AUTH_JWT_SECRET !== undefined) sources.push({ mode: 'secret', secret: this.AUTH_JWT_SECRET });
    if (this.AUTH_JWT_PUBLIC_KEY !== undefined) sources.push({ mode: 'public-key', publicKeyPem: this.AUTH_JWT_PUBLIC_KEY });
    if (this.AUTH_JWKS_URL !== undefined) sources.push({ mode: 'jwks', jwksUrl: this.AUTH_JWKS_URL });
    return sources;
  }
}

export const authSettings: Settings<AuthVariables, AuthConfig> = {
  variables: AuthVariables,
  crossChecks(env) {
    const problems: string[] = [];
    const jwtSources = env.jwtKeySources().length;
    if (jwtSources > 1) problems.push('AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY and AUTH_JWKS_URL are exclusive: set exactly one');
    if (jwtSources === 0 && env.AUTH_API_KEYS.length === 0) {
      problems.push('AUTH_*: configure at least one auth method (AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY, AUTH_JWKS_URL or AUTH_API_KEYS)');
    }
    return problems;
  },
  build: (env) => ({
    jwt: jwtConfig(env),
    apiKeys: env.AUTH_API_KEYS.map(apiKeyEntry),
    tenantIdClaim: env.AUTH_TENANT_ID_CLAIM,
    tenantNameClaim: env.AUTH_TENANT_NAME_CLAIM,
    usernameClaim: env.AUTH_USERNAME_CLAIM,
  }),
};

function jwtConfig(env: AuthVariables): JwtConfig | undefined {
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
  // Validation guarantees a bound key's tenant (ApiKeyVariable).
  return { name, sha256: key.sha256, tenantId: key.tenantId ?? '', tenantName: key.tenantName ?? '', actForAnyTenant: false };
}

/** Why AUTH_JWT_SECRET cannot be used, or undefined: a placeholder or too little variety, so anyone could sign tokens. */
function jwtSecretProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (looksLikePlaceholder(value)) return `is a placeholder (as in .env.example), so anyone could sign tokens with it; ${HOW_TO_GENERATE}`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) {
    return `too little variety (fewer than ${MIN_DISTINCT_CHARACTERS} different characters) to be random; ${HOW_TO_GENERATE}`;
  }
  return undefined;
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
