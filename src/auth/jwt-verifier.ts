import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createPublicKey, KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, JWTPayload, jwtVerify, JWTVerifyGetKey } from 'jose';
import { AllConfig, AuthConfig, JwtConfig } from '../config/config.types';
import { AuthenticationError, challenge, IdentityKeysUnavailableError, INVALID_TOKEN } from './auth.errors';
import { Tenant } from './tenant';

export const MAX_TOKEN_LENGTH = 8192;
const CACHE_MAX_ENTRIES = 10_000;
const CACHE_MAX_AGE_MS = 60_000;
const CLAIM_MAX_LENGTH = 256;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies bearer JWTs with jose. The key and the accepted algorithms come from configuration only,
 * never from the token header (no `alg: none`, no HS/RS key confusion, `jku`/`x5u`/`jwk` ignored).
 * The JWKS is built once per process, so an unknown `kid` triggers at most one refetch per cooldown.
 */
@Injectable()
export class JwtVerifier {
  private readonly logger = new Logger('JwtVerifier');
  private readonly auth: AuthConfig;
  private readonly jwt?: JwtConfig;
  private readonly key?: Uint8Array | KeyObject | JWTVerifyGetKey;
  /**
   * Tokens already verified, until their exp (at most a minute): a service caller reuses one token
   * for many calls, and jose's WebCrypto verification was the largest per-request cost in the
   * benchmark profile. Only fully verified tokens with their tenant are kept; bounded in size.
   */
  private readonly verified = new Map<string, { tenant: Tenant; until: number }>();

  constructor(config: ConfigService<AllConfig, true>) {
    this.auth = config.get('auth', { infer: true });
    this.jwt = this.auth.jwt;
    if (!this.jwt) return;
    if (this.jwt.mode === 'secret') this.key = new TextEncoder().encode(this.jwt.secret);
    else if (this.jwt.mode === 'public-key') this.key = createPublicKey(this.jwt.publicKeyPem ?? '');
    else this.key = createRemoteJWKSet(new URL(this.jwt.jwksUrl ?? ''), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  }

  get enabled(): boolean {
    return this.jwt !== undefined;
  }

  async verify(token: string): Promise<Tenant> {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.until > Date.now()) return cached.tenant;
      this.verified.delete(token);
    }
    return this.verifyUncached(token);
  }

  private async verifyUncached(token: string): Promise<Tenant> {
    const { jwt, key } = this;
    const www = challenge({ jwt: true, apiKey: this.auth.apiKeys.length > 0 }, 'invalid_token');
    if (!jwt || !key) throw new AuthenticationError('Bearer tokens are not accepted by this service; use X-API-Key.', challenge({ jwt: false, apiKey: true }));
    // Cheap shape checks first: oversized or non-JWS input never reaches a decoder.
    if (token.length > MAX_TOKEN_LENGTH || !JWS_COMPACT.test(token)) throw new AuthenticationError(INVALID_TOKEN, www);
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: jwt.algorithms,
        issuer: jwt.issuer,
        audience: jwt.audience,
        clockTolerance: jwt.clockToleranceSeconds,
        requiredClaims: ['exp'],
      };
      payload = (typeof key === 'function' ? await jwtVerify(token, key, options) : await jwtVerify(token, key, options)).payload;
    } catch (err) {
      if (jwt.mode === 'jwks' && isKeySourceFailure(err)) {
        this.logger.warn(`JWKS unavailable: ${(err as Error).name}`);
        throw new IdentityKeysUnavailableError();
      }
      throw new AuthenticationError(INVALID_TOKEN, www);
    }
    const tenant = this.toTenant(payload, www);
    this.remember(token, tenant, payload.exp);
    return tenant;
  }

  private remember(token: string, tenant: Tenant, exp: number | undefined): void {
    if (exp === undefined) return;
    const until = Math.min(exp * 1000, Date.now() + CACHE_MAX_AGE_MS);
    if (this.verified.size >= CACHE_MAX_ENTRIES) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(token, { tenant, until });
  }

  private toTenant(payload: JWTPayload, www: string): Tenant {
    const { tenantIdClaim, tenantNameClaim, usernameClaim } = this.auth;
    const id = claimString(payload[tenantIdClaim]);
    const name = claimString(payload[tenantNameClaim]);
    if (id === undefined || name === undefined) {
      throw new AuthenticationError(
        `The token has no usable ${tenantIdClaim} / ${tenantNameClaim} claims (non-empty strings); the tenant must come from the credentials.`,
        www,
      );
    }
    return {
      id,
      name,
      username: claimString(payload[usernameClaim]),
      via: 'jwt',
      principal: typeof payload.sub === 'string' ? payload.sub.slice(0, CLAIM_MAX_LENGTH) : 'jwt',
    };
  }
}

function claimString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= CLAIM_MAX_LENGTH ? value : undefined;
}

/**
 * The JWKS endpoint itself failed (down, hanging, non-200, garbage): not a bad token. jose reports
 * a non-200 as a plain JOSEError and a refused connection as fetch's TypeError.
 */
function isKeySourceFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.constructor === errors.JOSEError;
  // By name, not instanceof: fetch's errors may come from another realm (e.g. under a test runner's VM).
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'TypeError' || name === 'AbortError' || name === 'TimeoutError' || name === 'SyntaxError';
}
