import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AllConfig } from '../app.config';
import type { ApiKeyEntry } from './auth.config';
import { AuthenticationError, challenge, TenantForbiddenError, TenantHeaderError } from './auth.errors';
import { isTenantId, isTenantName, Tenant, TENANT_ID_RULE, TENANT_NAME_RULE } from './tenant';

/** Longer keys are refused without hashing them: no key we issue comes close. */
export const MAX_API_KEY_LENGTH = 512;

interface StoredKey {
  entry: ApiKeyEntry;
  digest: Buffer;
}

/**
 * Service API keys (X-API-Key). Only SHA-256 digests are configured; the presented key is hashed
 * and compared with every digest in constant time (digests are always 32 bytes, so a key of any
 * length compares without a RangeError and without a length oracle).
 */
@Injectable()
export class ApiKeyVerifier {
  private readonly keys: StoredKey[];
  private readonly www: string;

  constructor(config: ConfigService<AllConfig, true>) {
    const auth = config.get('auth', { infer: true });
    this.keys = auth.apiKeys.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }));
    this.www = challenge({ jwt: auth.jwt !== undefined, apiKey: true });
  }

  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /**
   * The tenant the key acts for. Bound keys ignore X-Tenant-Name and refuse an X-Tenant-Id naming
   * another tenant (403); act-for-any keys must name the tenant on every call.
   */
  verify(key: string, tenantIdHeader?: string, tenantNameHeader?: string): Tenant {
    if (!this.enabled) {
      throw new AuthenticationError('API keys are not accepted by this service; use a bearer token.', challenge({ jwt: true, apiKey: false }));
    }
    const entry = key.length > 0 && key.length <= MAX_API_KEY_LENGTH ? this.match(key) : undefined;
    if (!entry) throw new AuthenticationError('The API key is not valid.', this.www);
    if (!entry.actForAnyTenant) {
      if (tenantIdHeader !== undefined && tenantIdHeader !== entry.tenantId) {
        throw new TenantForbiddenError('This API key is bound to one tenant and cannot act for another (drop X-Tenant-Id or name the key\'s own tenant).');
      }
      return { id: entry.tenantId, name: entry.tenantName, via: 'api-key', principal: entry.name };
    }
    if (tenantIdHeader === undefined || tenantNameHeader === undefined) {
      throw new AuthenticationError('This API key acts for a tenant named on each call: send both X-Tenant-Id and X-Tenant-Name.', this.www);
    }
    if (!isTenantId(tenantIdHeader)) throw new TenantHeaderError(`X-Tenant-Id must be ${TENANT_ID_RULE}.`);
    if (!isTenantName(tenantNameHeader)) throw new TenantHeaderError(`X-Tenant-Name must be ${TENANT_NAME_RULE}.`);
    return { id: tenantIdHeader, name: tenantNameHeader, via: 'api-key', principal: entry.name };
  }

  private match(key: string): ApiKeyEntry | undefined {
    const digest = createHash('sha256').update(key, 'utf8').digest();
    let found: ApiKeyEntry | undefined;
    // Compare against every key (no early exit), so timing does not say which one matched.
    for (const stored of this.keys) {
      if (timingSafeEqual(digest, stored.digest) && !found) found = stored.entry;
    }
    return found;
  }
}
