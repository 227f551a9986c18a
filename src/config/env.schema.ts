import { plainToInstance } from 'class-transformer';
import {
  IsBooleanString,
  IsIn,
  IsNotEmpty,
  IsNumberString,
  IsOptional,
  IsString,
  IsUrl,
  MinLength,
  getMetadataStorage,
  validateSync,
} from 'class-validator';

/**
 * The raw environment, as strings, validated once at start-up. Parsing into typed values happens in
 * `load-config.ts`; this class only says which strings are acceptable.
 */
export class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @IsString() @IsNotEmpty() HOST?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) PORT?: string;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) SHUTDOWN_GRACE_MS?: string;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }) STACKONE_BASE_URL?: string;
  @IsString() @IsNotEmpty({ message: 'STACKONE_API_KEY is required (the StackOne project API key)' }) STACKONE_API_KEY!: string;
  @IsOptional() @IsBooleanString() STACKONE_ALLOW_INSECURE_HTTP?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_TIMEOUT_MS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_CONNECT_TIMEOUT_MS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_MAX_RETRIES?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_MAX_RETRY_AFTER_MS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_RATE_LIMIT_PER_MINUTE?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_BREAKER_FAILURES?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_BREAKER_COOLDOWN_MS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_MAX_RESPONSE_BYTES?: string;
  @IsOptional() @IsString() STACKONE_ALLOWED_PROVIDERS?: string;
  @IsOptional() @IsString() STACKONE_ALLOWED_CATEGORIES?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) STACKONE_PROVIDERS_CACHE_TTL_SECONDS?: string;

  @IsOptional() @IsString() @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 bytes' }) AUTH_JWT_SECRET?: string;
  @IsOptional() @IsString() AUTH_JWT_PUBLIC_KEY?: string;
  @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true }) AUTH_JWKS_URL?: string;
  @IsOptional() @IsString() AUTH_JWT_ALGORITHMS?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_JWT_ISSUER?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_JWT_AUDIENCE?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) AUTH_JWT_CLOCK_TOLERANCE_SECONDS?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_TENANT_ID_CLAIM?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_TENANT_NAME_CLAIM?: string;
  @IsOptional() @IsString() @IsNotEmpty() AUTH_USERNAME_CLAIM?: string;
  @IsOptional() @IsString() AUTH_API_KEYS?: string;

  @IsOptional() @IsNumberString({ no_symbols: true }) HTTP_BODY_LIMIT_BYTES?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) HTTP_REQUEST_TIMEOUT_MS?: string;
  @IsOptional() @IsString() HTTP_TRUST_PROXY?: string;
  @IsOptional() @IsString() HTTP_CORS_ORIGINS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) RATE_LIMIT_PER_TENANT?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) IDEMPOTENCY_TTL_SECONDS?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) IDEMPOTENCY_MEMORY_MAX_ENTRIES?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) IDEMPOTENCY_MEMORY_MAX_BYTES?: string;

  @IsOptional() @IsUrl({ require_tld: false, protocols: ['redis', 'rediss'], require_protocol: true }) REDIS_URL?: string;
  @IsOptional() @IsString() REDIS_KEY_PREFIX?: string;
  @IsOptional() @IsNumberString({ no_symbols: true }) REDIS_COMMAND_TIMEOUT_MS?: string;
}

const ENV_KEY_SET = (): ReadonlySet<string> => new Set(ENV_KEYS);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Validates the raw strings; throws a ConfigError naming every bad variable (never its value). */
export function validateEnvironment(env: Record<string, string | undefined>): EnvironmentVariables {
  const known = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && ENV_KEY_SET().has(k)),
  );
  const instance = plainToInstance(EnvironmentVariables, known);
  const errors = validateSync(instance, { skipMissingProperties: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration:\n  - ${lines.join('\n  - ')}`);
  }
  return instance;
}

/** Every variable the service reads (from the schema's own metadata), for docs and the compose test. */
export const ENV_KEYS: readonly string[] = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', false, false)
      .map((m) => m.propertyName),
  ),
];
