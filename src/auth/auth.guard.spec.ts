import { ExecutionContext, HttpException, InternalServerErrorException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { testConfigService } from '../../test/support/config';
import { secretKey, sha256Hex, sign } from '../../test/support/jwt';
import { ApiKeyVerifier } from './api-key-verifier';
import { AuthenticationError } from './auth.errors';
import { AuthGuard } from './auth.guard';
import { tenantFrom } from './current-tenant.decorator';
import { JwtVerifier } from './jwt-verifier';
import { Public } from './public.decorator';
import { Tenant } from './tenant';

const SECRET = 'guard-test-secret-0123456789-abcdefghij';
const BOUND_KEY = 'svc_bound_key_0f3c9a';
const BATCH_KEY = 'svc_batch_key_77b1e2';

function buildGuard(env: Record<string, string> = {}): AuthGuard {
  const config = testConfigService({
    AUTH_JWT_SECRET: SECRET,
    AUTH_API_KEYS: JSON.stringify([
      { name: 'billing', sha256: sha256Hex(BOUND_KEY), tenantId: 'org_bound', tenantName: 'Bound Org' },
      { name: 'batch', sha256: sha256Hex(BATCH_KEY), actForAnyTenant: true },
    ]),
    ...env,
  });
  return new AuthGuard(new Reflector(), new JwtVerifier(config), new ApiKeyVerifier(config));
}

class Open {
  @Public() handler(): void {}
  closed(): void {}
}

interface FakeRequest {
  headers: Record<string, string | string[]>;
  tenant?: Tenant;
}

function context(headers: Record<string, string | string[]>, handler: 'handler' | 'closed' = 'closed'): { ctx: ExecutionContext; req: FakeRequest } {
  const req: FakeRequest = { headers };
  const ctx = {
    getHandler: () => Open.prototype[handler],
    getClass: () => Open,
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
  return { ctx, req };
}

async function refusal(guard: AuthGuard, headers: Record<string, string | string[]>): Promise<HttpException> {
  try {
    await guard.canActivate(context(headers).ctx);
  } catch (err) {
    if (err instanceof HttpException) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe(AuthGuard.name, () => {
  const sut = buildGuard();

  it('lets @Public() handlers through without a credential', async () => {
    await expect(sut.canActivate(context({}, 'handler').ctx)).resolves.toBe(true);
  });

  it('refuses a request without a credential: 401 with WWW-Authenticate for both methods', async () => {
    const err = await refusal(sut, {});
    expect(err.getStatus()).toBe(401);
    const www = (err as AuthenticationError).headers['WWW-Authenticate'];
    expect(www).toMatch(/^Bearer realm=/);
    expect(www).toMatch(/ApiKey realm=/);
  });

  it('puts the JWT tenant on the request', async () => {
    const { ctx, req } = context({ authorization: `Bearer ${await sign({ org_id: 'o1', org_name: 'One' }, secretKey(SECRET))}` });
    await expect(sut.canActivate(ctx)).resolves.toBe(true);
    expect(req.tenant).toMatchObject({ id: 'o1', name: 'One', via: 'jwt' });
  });

  it('refuses two credentials at once', async () => {
    const err = await refusal(sut, { authorization: 'Bearer x.y.z', 'x-api-key': BOUND_KEY });
    expect([err.getStatus(), err.message]).toEqual([401, expect.stringContaining('exactly one')]);
  });

  it('refuses a non-Bearer Authorization scheme', async () => {
    expect((await refusal(sut, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).getStatus()).toBe(401);
  });

  it('refuses an oversized Authorization header before decoding it', async () => {
    expect((await refusal(sut, { authorization: `Bearer ${'a'.repeat(20_000)}` })).getStatus()).toBe(401);
  });

  it('refuses a duplicated credential header as ambiguous', async () => {
    const err = await refusal(sut, { 'x-api-key': [BOUND_KEY, BATCH_KEY] });
    expect([err.getStatus(), err.message]).toEqual([401, expect.stringContaining('exactly one')]);
  });

  it('challenges with error="invalid_token" for a bad bearer token, and keeps token text out of the message', async () => {
    const token = await sign({ org_id: 'o1', org_name: 'One' }, secretKey(`${SECRET}-other`));
    const err = await refusal(sut, { authorization: `Bearer ${token}` });
    expect((err as AuthenticationError).headers['WWW-Authenticate']).toBe(
      'Bearer realm="stackone-connect-service", error="invalid_token", ApiKey realm="stackone-connect-service", header="X-API-Key"',
    );
    expect(err.message).toBe('The bearer token is invalid or expired.');
  });

  it('refuses an Authorization header just over 8 KiB with the generic body, before the verifier sees it', async () => {
    const jwt = new JwtVerifier(testConfigService({ AUTH_JWT_SECRET: SECRET }));
    const verify = jest.spyOn(jwt, 'verify');
    const guard = new AuthGuard(new Reflector(), jwt, new ApiKeyVerifier(testConfigService({ AUTH_JWT_SECRET: SECRET })));
    const err = await refusal(guard, { authorization: `Bearer ${'a'.repeat(8193)}` });
    expect([err.getStatus(), err.message]).toEqual([401, 'The bearer token is invalid or expired.']);
    expect(verify).not.toHaveBeenCalled();
  });

  it('ignores tokens in the query string: only headers count', async () => {
    const token = await sign({ org_id: 'o1', org_name: 'One' }, secretKey(SECRET));
    const req = { headers: {}, query: { access_token: token, api_key: BOUND_KEY }, url: `/x?access_token=${token}` };
    const ctx = {
      getHandler: () => Open.prototype.closed,
      getClass: () => Open,
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => ({}) }),
    } as unknown as ExecutionContext;
    await expect(sut.canActivate(ctx)).rejects.toMatchObject({ status: 401 });
  });

  it('lets a @Public() class through', async () => {
    @Public()
    class OpenController {
      handler(): void {}
    }
    const ctx = {
      getHandler: () => OpenController.prototype.handler,
      getClass: () => OpenController,
      switchToHttp: () => ({ getRequest: () => ({ headers: {} }), getResponse: () => ({}) }),
    } as unknown as ExecutionContext;
    await expect(sut.canActivate(ctx)).resolves.toBe(true);
  });

  describe('API keys', () => {
    it('maps a bound key to its tenant', async () => {
      const { ctx, req } = context({ 'x-api-key': BOUND_KEY });
      await sut.canActivate(ctx);
      expect(req.tenant).toEqual({ id: 'org_bound', name: 'Bound Org', via: 'api-key', principal: 'billing' });
    });

    it.each([
      ['a wrong key', 'svc_bound_key_0f3c9b'],
      ['a key of another length', 'short'],
      ['an empty key', ''],
      ['a huge key', 'k'.repeat(10_000)],
      ['the hash instead of the key', sha256Hex(BOUND_KEY)],
    ])('refuses %s with 401 (never a 500)', async (_n, key) => {
      expect((await refusal(sut, { 'x-api-key': key })).getStatus()).toBe(401);
    });

    it('refuses a bound key naming another tenant with 403', async () => {
      const err = await refusal(sut, { 'x-api-key': BOUND_KEY, 'x-tenant-id': 'org_other', 'x-tenant-name': 'Other' });
      expect(err.getStatus()).toBe(403);
    });

    it('lets an act-for-any key act for the tenant it names', async () => {
      const { ctx, req } = context({ 'x-api-key': BATCH_KEY, 'x-tenant-id': 'org_42', 'x-tenant-name': 'Forty Two' });
      await sut.canActivate(ctx);
      expect(req.tenant).toEqual({ id: 'org_42', name: 'Forty Two', via: 'api-key', principal: 'batch' });
    });

    it.each([
      ['no tenant headers', {}, 401],
      ['only an id', { 'x-tenant-id': 'org_42' }, 401],
      ['an id with a path', { 'x-tenant-id': '../admin', 'x-tenant-name': 'x' }, 400],
      ['a name with control characters', { 'x-tenant-id': 'org_42', 'x-tenant-name': 'a\u0000b' }, 400],
    ])('refuses an act-for-any key with %s', async (_n, headers, status) => {
      expect((await refusal(sut, { 'x-api-key': BATCH_KEY, ...headers })).getStatus()).toBe(status);
    });

    it('refuses API keys when none are configured, and bearer tokens when JWT is not configured', async () => {
      const jwtOnly = new AuthGuard(
        new Reflector(),
        new JwtVerifier(testConfigService({ AUTH_JWT_SECRET: SECRET })),
        new ApiKeyVerifier(testConfigService({ AUTH_JWT_SECRET: SECRET })),
      );
      expect((await refusal(jwtOnly, { 'x-api-key': BOUND_KEY })).getStatus()).toBe(401);
      const keysOnlyConfig = testConfigService({
        AUTH_JWT_SECRET: undefined,
        AUTH_API_KEYS: JSON.stringify([{ name: 'a', sha256: sha256Hex(BOUND_KEY), tenantId: 't', tenantName: 'T' }]),
      });
      const keysOnly = new AuthGuard(new Reflector(), new JwtVerifier(keysOnlyConfig), new ApiKeyVerifier(keysOnlyConfig));
      const err = await refusal(keysOnly, { authorization: `Bearer ${await sign({ org_id: 'o', org_name: 'O' }, secretKey(SECRET))}` });
      expect(err.getStatus()).toBe(401);
      expect((err as AuthenticationError).headers['WWW-Authenticate']).toMatch(/^ApiKey/);
    });
  });
});

describe('@CurrentTenant()', () => {
  it('fails loudly with a 500 when the guard did not run', () => {
    const { ctx } = context({});
    expect(() => tenantFrom(ctx)).toThrow(InternalServerErrorException);
    expect(() => tenantFrom(ctx)).toThrow(/AuthGuard did not run/);
  });

  it('returns the tenant the guard put on the request', () => {
    const { ctx, req } = context({});
    req.tenant = { id: 't', name: 'T', via: 'api-key', principal: 'p' };
    expect(tenantFrom(ctx)).toBe(req.tenant);
  });
});
