import { HttpException } from '@nestjs/common';
import { ProblemException } from '../common/problem.exception';
import type { AllConfig } from '../app.config';
import type { ApiKeyEntry } from './auth.config';
import { testConfig, testConfigService } from '../../test/support/config';
import { sha256Hex } from '../../test/support/jwt';
import { ApiKeyVerifier, MAX_API_KEY_LENGTH } from './api-key-verifier';
import { TENANT_NAME_RULE } from './tenant';

const BOUND_KEY = 'svc_bound_key_0f3c9a';
const BATCH_KEY = 'svc_batch_key_77b1e2';

const entries = (): ApiKeyEntry[] => [
  { name: 'billing', sha256: sha256Hex(BOUND_KEY), tenantId: 'org_bound', tenantName: 'Bound Org', actForAnyTenant: false },
  { name: 'batch', sha256: sha256Hex(BATCH_KEY), actForAnyTenant: true },
];

function build(apiKeys: ApiKeyEntry[] = entries(), withJwt = true): ApiKeyVerifier {
  const base = testConfig({ AUTH_JWT_SECRET: 'api-key-test-secret-0123456789-abcdef' });
  const config: AllConfig = { ...base, auth: { ...base.auth, jwt: withJwt ? base.auth.jwt : undefined, apiKeys } };
  return new ApiKeyVerifier(testConfigService(config));
}

function refusal(fn: () => unknown): { status: number; message: string; headers?: Record<string, string> } {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof HttpException)) throw err;
    return { status: err.getStatus(), message: err.message, headers: err instanceof ProblemException ? err.headers : undefined };
  }
  throw new Error('expected a refusal');
}

describe(ApiKeyVerifier.name, () => {
  const sut = build();

  it('maps a bound key to its tenant', () => {
    expect(sut.verify(BOUND_KEY)).toEqual({ id: 'org_bound', name: 'Bound Org', via: 'api-key', principal: 'billing' });
  });

  it('accepts a bound key whose X-Tenant-Id names its own tenant, and ignores X-Tenant-Name', () => {
    expect(sut.verify(BOUND_KEY, 'org_bound', 'Another Name')).toEqual({ id: 'org_bound', name: 'Bound Org', via: 'api-key', principal: 'billing' });
  });

  it('finds the right entry among several (every digest is compared)', () => {
    const many = build([
      ...Array.from({ length: 5 }, (_, i): ApiKeyEntry => ({ name: `k${i}`, sha256: sha256Hex(`key-${i}`), tenantId: `t${i}`, tenantName: `T${i}`, actForAnyTenant: false })),
    ]);
    expect(many.verify('key-3')).toMatchObject({ id: 't3', principal: 'k3' });
  });

  it.each([
    ['a wrong key of the same length', 'svc_bound_key_0f3c9b'],
    ['a key of another length', 'short'],
    ['a one-character key', 'x'],
    ['an empty key', ''],
    ['a key just over the length cap', 'k'.repeat(MAX_API_KEY_LENGTH + 1)],
    ['a huge key', 'k'.repeat(100_000)],
    ['the stored hash instead of the key', sha256Hex(BOUND_KEY)],
    ['the key with trailing whitespace', `${BOUND_KEY} `],
    ['non-ASCII text', 'ключ-🔑'],
  ])('refuses %s with 401 and WWW-Authenticate (never a RangeError or 500)', (_n, key) => {
    const result = refusal(() => sut.verify(key));
    expect(result).toEqual({
      status: 401,
      message: 'The API key is not valid.',
      headers: { 'WWW-Authenticate': 'Bearer realm="stackone-connect-service", ApiKey realm="stackone-connect-service", header="X-API-Key"' },
    });
  });

  it('refuses a bound key naming another tenant with 403 and a clear message', () => {
    const result = refusal(() => sut.verify(BOUND_KEY, 'org_other', 'Other'));
    expect(result.status).toBe(403);
    expect(result.message).toMatch(/bound to one tenant/);
  });

  describe('act-for-any-tenant keys', () => {
    it('act for the tenant the headers name', () => {
      expect(sut.verify(BATCH_KEY, 'org_42', 'Forty Two')).toEqual({ id: 'org_42', name: 'Forty Two', via: 'api-key', principal: 'batch' });
    });

    it.each([
      ['no tenant headers', undefined, undefined],
      ['only X-Tenant-Id', 'org_42', undefined],
      ['only X-Tenant-Name', undefined, 'Forty Two'],
    ])('answer 401 naming both headers when sent with %s', (_n, id, name) => {
      const result = refusal(() => sut.verify(BATCH_KEY, id, name));
      expect([result.status, result.message]).toEqual([401, expect.stringMatching(/X-Tenant-Id and X-Tenant-Name/)]);
    });

    it.each([
      ['a path', '../admin'],
      ['a leading dot', '.org'],
      ['a space', 'org 42'],
      ['a comma (duplicated header joined by Node)', 'org_1, org_2'],
      ['129 characters', 'a'.repeat(129)],
      ['an empty value', ''],
    ])('answer 400 for an X-Tenant-Id with %s', (_n, id) => {
      const result = refusal(() => sut.verify(BATCH_KEY, id, 'Name'));
      expect([result.status, result.message]).toEqual([400, expect.stringMatching(/^X-Tenant-Id must be/)]);
    });

    it('accept the longest allowed id and all its characters', () => {
      const id = `A${'a0._:@-'.repeat(18)}b`;
      expect(id).toHaveLength(128);
      expect(sut.verify(BATCH_KEY, id, 'N').id).toBe(id);
    });

    it.each([
      ['an empty name', ''],
      ['only blanks', '   '],
      ['a control character', 'a\u0000b'],
      ['a newline', 'a\nb'],
      ['a C1 control character', 'a\u0085b'],
      ['a leading space', ' Forty Two'],
      ['a trailing tab', 'Forty Two\t'],
      ['257 characters', 'n'.repeat(257)],
    ])('answer 400 for an X-Tenant-Name with %s', (_n, name) => {
      const result = refusal(() => sut.verify(BATCH_KEY, 'org_42', name));
      expect([result.status, result.message]).toEqual([400, `X-Tenant-Name must be ${TENANT_NAME_RULE}.`]);
    });

    it('check the key before the headers: a wrong key with bad headers is a 401', () => {
      expect(refusal(() => sut.verify('wrong', '../x', '')).status).toBe(401);
    });
  });

  it('refuses every key when none are configured, challenging for a bearer token only', () => {
    const none = build([]);
    expect(none.enabled).toBe(false);
    expect(refusal(() => none.verify(BOUND_KEY))).toEqual({
      status: 401,
      message: 'API keys are not accepted by this service; use a bearer token.',
      headers: { 'WWW-Authenticate': 'Bearer realm="stackone-connect-service"' },
    });
  });

  it('challenges for API keys only when JWT is not configured', () => {
    expect(refusal(() => build(entries(), false).verify('wrong')).headers).toEqual({
      'WWW-Authenticate': 'ApiKey realm="stackone-connect-service", header="X-API-Key"',
    });
  });
});
