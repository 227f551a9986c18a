import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createPublicKey, hash, KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import type { AllConfig } from '../app.config';
import type { AuthConfig, JwtConfig } from './auth.config';
import { AuthenticationError, challenge, IdentityKeysUnavailableError, INVALID_TOKEN } from './auth.errors';
import { isTenantId, isTenantName, Tenant, TENANT_ID_RULE, TENANT_NAME_RULE } from './tenant';

/** Longest bearer token (and, with "Bearer ", Authorization header) we are willing to look at. */
export const MAX_TOKEN_LENGTH = 8192;
const CACHE_MAX_ENTRIES = 10_000;
const CACHE_MAX_AGE_MS = 60_000;
const CLAIM_MAX_LENGTH = 256;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export const JWKS_TIMEOUT_MS = 3_000;
/** An unknown kid causes at most one JWKS refetch per cooldown, however many tokens carry one. */
export const JWKS_COOLDOWN_MS = 30_000;
const JWKS_CACHE_MAX_AGE_MS = 600_000;

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * One remote key set per JWKS URL for the whole process: its cache and cooldown are what bound the
 * outbound requests, so a second JwtVerifier (another app instance in the same process) must share it.
 */
const remoteKeySets = new Map<string, RemoteKeySet>();

function remoteKeySet(url: string): RemoteKeySet {
  let set = remoteKeySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), {
      timeoutDuration: JWKS_TIMEOUT_MS,
      cooldownDuration: JWKS_COOLDOWN_MS,
      cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    });
    remoteKeySets.set(url, set);
  }
  return set;
}

/**
 * Verifies bearer JWTs with jose. The key and the accepted algorithms come from configuration only,
 * never from the token header (no `alg: none`, no HS/RS key confusion, `jku`/`x5u`/`jwk` ignored).
 */
@Injectable()
export class JwtVerifier {
  private readonly logger = new Logger('JwtVerifier');
  private readonly auth: AuthConfig;
  private readonly jwt?: JwtConfig;
  private readonly key?: Uint8Array | KeyObject | JWTVerifyGetKey;
  private readonly options?: JWTVerifyOptions;
  private readonly www: string;
  /**
   * Tokens already verified, until their exp (at most a minute): a service caller reuses one token
   * for many calls, and jose's WebCrypto verification was the largest per-request cost in the
   * benchmark profile. Keyed by the token's SHA-256 so the map holds no credentials and stays small;
   * only fully verified tokens are kept, never refusals.
   */
  private readonly verified = new Map<string, { tenant: Tenant; until: number }>();

  constructor(config: ConfigService<AllConfig, true>) {
    this.auth = config.get('auth', { infer: true });
    this.jwt = this.auth.jwt;
    this.www = challenge({ jwt: true, apiKey: this.auth.apiKeys.length > 0 }, 'invalid_token');
    const jwt = this.jwt;
    if (!jwt) return;
    if (jwt.mode === 'secret') this.key = new TextEncoder().encode(jwt.secret);
    else if (jwt.mode === 'public-key') this.key = createPublicKey(jwt.publicKeyPem);
    else this.key = remoteKeySet(jwt.jwksUrl);
    this.options = {
      algorithms: [...jwt.algorithms],
      ...(jwt.issuer ? { issuer: jwt.issuer } : {}),
      ...(jwt.audience ? { audience: jwt.audience } : {}),
      requiredClaims: ['exp', this.auth.tenantIdClaim, this.auth.tenantNameClaim],
      clockTolerance: jwt.clockToleranceSeconds,
    };
  }

  get enabled(): boolean {
    return this.jwt !== undefined;
  }

  async verify(token: string): Promise<Tenant> {
    if (!this.enabled) {
      throw new AuthenticationError('Bearer tokens are not accepted by this service; use X-API-Key.', challenge({ jwt: false, apiKey: true }));
    }
    // Cheap shape checks first: oversized or non-JWS input never reaches a decoder or the hash.
    if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) {
      this.logRefusal(token.length > MAX_TOKEN_LENGTH ? `longer than ${MAX_TOKEN_LENGTH} characters` : 'not a compact JWS (header.payload.signature)');
      throw new AuthenticationError(INVALID_TOKEN, this.www);
    }
    const cacheKey = hash('sha256', token, 'base64');
    const cached = this.verified.get(cacheKey);
    if (cached) {
      if (cached.until > Date.now()) return cached.tenant;
      this.verified.delete(cacheKey);
    }
    const payload = await this.verifySignatureAndClaims(token);
    const tenant = this.toTenant(payload);
    this.remember(cacheKey, tenant, payload.exp);
    return tenant;
  }

  private async verifySignatureAndClaims(token: string): Promise<JWTPayload> {
    const { key, options } = this;
    if (!key || !options) throw new AuthenticationError(INVALID_TOKEN, this.www);
    try {
      const result = typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options);
      return result.payload;
    } catch (err) {
      if (this.jwt?.mode === 'jwks' && isKeySourceFailure(err)) {
        // The error name only: never the token, and the URL stays in configuration.
        this.logger.warn(`JWKS unavailable: ${(err as Error).name}`);
        throw new IdentityKeysUnavailableError();
      }
      // jose checks claims only after the signature, so this answer is given to genuine tokens only.
      if (isMissingClaim(err, [this.auth.tenantIdClaim, this.auth.tenantNameClaim])) throw this.noTenant();
      this.logRefusal(refusalReason(err));
      throw new AuthenticationError(INVALID_TOKEN, this.www);
    }
  }

  /**
   * The caller gets one generic 401 (no oracle); the log says why, so wiring an identity provider
   * (issuer, audience, algorithm, key) is not guesswork. Info, not warn: a refused token is the
   * caller's problem. The reason is built from jose's error code and claim name, never the token.
   */
  private logRefusal(reason: string): void {
    this.logger.log(`Bearer token refused (401): ${reason}`);
  }

  private remember(cacheKey: string, tenant: Tenant, exp: number | undefined): void {
    if (exp === undefined) return;
    const until = Math.min(exp * 1000, Date.now() + CACHE_MAX_AGE_MS);
    if (until <= Date.now()) return;
    if (this.verified.size >= CACHE_MAX_ENTRIES) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(cacheKey, { tenant, until });
  }

  private toTenant(payload: JWTPayload): Tenant {
    const { tenantIdClaim, tenantNameClaim, usernameClaim } = this.auth;
    const id = payload[tenantIdClaim];
    const name = payload[tenantNameClaim];
    // The same rules as X-Tenant-Id / X-Tenant-Name: a blank or padded claim is refused, never trimmed.
    if (!isTenantId(id)) throw this.unusableClaim(tenantIdClaim, TENANT_ID_RULE);
    if (!isTenantName(name)) throw this.unusableClaim(tenantNameClaim, TENANT_NAME_RULE);
    return {
      id,
      name,
      username: claimString(payload[usernameClaim]),
      via: 'jwt',
      principal: claimString(payload.sub) ?? 'jwt',
    };
  }

  private noTenant(): AuthenticationError {
    const { tenantIdClaim, tenantNameClaim } = this.auth;
    return new AuthenticationError(`The token has no ${tenantIdClaim} / ${tenantNameClaim} claims; the tenant must come from the credentials.`, this.www);
  }

  /** Names the claim and its rule, never its value (the token stays out of answers). */
  private unusableClaim(claim: string, rule: string): AuthenticationError {
    return new AuthenticationError(`The token's ${claim} claim must be ${rule}; the tenant must come from the credentials.`, this.www);
  }
}

function claimString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= CLAIM_MAX_LENGTH ? value : undefined;
}

const CLAIM_NAME = /^[A-Za-z0-9_:.-]{1,64}$/;

/** Why jose refused a token, from its error code and the claim's name only (never a value or the token). */
export function refusalReason(err: unknown): string {
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown } | undefined;
  const claim = typeof e?.claim === 'string' && CLAIM_NAME.test(e.claim) ? e.claim : 'a';
  switch (e?.code) {
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat' ? 'iat claim too far in the past' : 'expired (exp claim)';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.reason === 'missing') return `missing required ${claim} claim`;
      if (e.reason === 'invalid') return `${claim} claim has the wrong type`;
      if (claim === 'nbf') return 'not valid yet (nbf claim)';
      if (claim === 'iat') return 'iat claim in the future';
      return `unexpected ${claim} claim value`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature verification failed (another key or secret signed it)';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'alg header not among the configured algorithms';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "no key in the JWKS matches the token's kid and alg";
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return "several keys in the JWKS match the token's kid and alg";
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'unsupported algorithm, key or crit header';
    case 'ERR_JWS_INVALID':
      return 'malformed JWS';
    case 'ERR_JWT_INVALID':
      return 'malformed JWT claims set';
    default:
      return 'not verifiable';
  }
}

function isMissingClaim(err: unknown, claims: string[]): boolean {
  const e = err as { code?: unknown; claim?: unknown; reason?: unknown } | undefined;
  return e?.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.reason === 'missing' && typeof e.claim === 'string' && claims.includes(e.claim);
}

/**
 * The JWKS endpoint itself failed (down, hanging, non-200, garbage): not a bad token. jose reports
 * a non-200 or unparsable body as a plain JOSEError and a refused connection as fetch's TypeError.
 */
function isKeySourceFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.constructor === errors.JOSEError;
  // By name, not instanceof: fetch's errors may come from another realm (e.g. under a test runner's VM).
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'TypeError' || name === 'AbortError' || name === 'TimeoutError' || name === 'SyntaxError';
}
