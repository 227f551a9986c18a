import { Controller, Get, Logger } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { ProblemDetailsFilter } from '../common/problem-details.filter';
import { testConfigModule } from '../../test/support/config';
import { rawToken, sha256Hex, signHs256 } from '../../test/support/jwt';
import { ApiKeyVerifier } from './api-key-verifier';
import { ApiTenantAuth } from './api-tenant-auth.decorator';
import { CurrentTenant } from './current-tenant.decorator';
import { AuthModule } from './auth.module';
import { JwtVerifier } from './jwt-verifier';
import { Public } from './public.decorator';
import type { Tenant } from './tenant';

const SECRET = 'module-test-secret-0123456789-abcdefghij';
const BOUND_KEY = 'svc_bound_key_module_1';

@Controller('probe')
class ProbeController {
  @Get('me')
  @ApiTenantAuth()
  me(@CurrentTenant() tenant: Tenant): Tenant {
    return tenant;
  }

  @Public()
  @Get('open')
  open(): { ok: boolean } {
    return { ok: true };
  }

  /** A bug on purpose: a public route reading the tenant must fail loudly, not run tenant-less. */
  @Public()
  @Get('misconfigured')
  misconfigured(@CurrentTenant() tenant: Tenant): Tenant {
    return tenant;
  }
}

describe(AuthModule.name, () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    const config = testConfigModule({
      AUTH_JWT_SECRET: SECRET,
      AUTH_API_KEYS: JSON.stringify([{ name: 'billing', sha256: sha256Hex(BOUND_KEY), tenantId: 'org_bound', tenantName: 'Bound Org' }]),
    });
    const moduleRef = await Test.createTestingModule({ imports: [config, AuthModule], controllers: [ProbeController] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    app.useGlobalFilters(new ProblemDetailsFilter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  it('exports the verifiers', () => {
    expect(app.get(JwtVerifier)).toBeInstanceOf(JwtVerifier);
    expect(app.get(ApiKeyVerifier)).toBeInstanceOf(ApiKeyVerifier);
  });

  it('guards every route globally: no credential → 401 problem+json with WWW-Authenticate', async () => {
    const res = await app.inject({ method: 'GET', url: '/probe/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="stackone-connect-service", ApiKey realm="stackone-connect-service", header="X-API-Key"');
    expect(res.json()).toMatchObject({ status: 401, detail: 'Authentication required: send a bearer token or an X-API-Key.' });
  });

  it('hands the JWT tenant to @CurrentTenant()', async () => {
    const token = await signHs256({ org_id: 'org_1', org_name: 'Acme', sub: 'u1' }, SECRET);
    const res = await app.inject({ method: 'GET', url: '/probe/me', headers: { authorization: `Bearer ${token}` } });
    expect([res.statusCode, res.json()]).toEqual([200, { id: 'org_1', name: 'Acme', via: 'jwt', principal: 'u1' }]);
  });

  it('hands the API key tenant to @CurrentTenant(), and answers a foreign X-Tenant-Id with 403', async () => {
    const ok = await app.inject({ method: 'GET', url: '/probe/me', headers: { 'x-api-key': BOUND_KEY } });
    expect(ok.json()).toEqual({ id: 'org_bound', name: 'Bound Org', via: 'api-key', principal: 'billing' });
    const foreign = await app.inject({ method: 'GET', url: '/probe/me', headers: { 'x-api-key': BOUND_KEY, 'x-tenant-id': 'org_other' } });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json()).toMatchObject({ status: 403, detail: expect.stringMatching(/bound to one tenant/) });
  });

  it('ignores credentials in the query string', async () => {
    const token = await signHs256({ org_id: 'org_1', org_name: 'Acme' }, SECRET);
    const res = await app.inject({ method: 'GET', url: `/probe/me?access_token=${token}&api_key=${BOUND_KEY}` });
    expect(res.statusCode).toBe(401);
  });

  it('answers every malformed or forged token with the same body (no error oracle)', async () => {
    const good = await signHs256({ org_id: 'org_1', org_name: 'Acme' }, SECRET);
    const tokens = [
      'abc.def',
      rawToken({ alg: 'HS256' }, [], 'c2ln'),
      good.slice(0, -5),
      rawToken({ alg: 'none' }, { org_id: 'org_1', org_name: 'Acme', exp: Math.floor(Date.now() / 1000) + 60 }),
      await signHs256({ org_id: 'org_1', org_name: 'Acme' }, `${SECRET}-other`),
      await signHs256({ org_id: 'org_1', org_name: 'Acme' }, SECRET, { expiresIn: Math.floor(Date.now() / 1000) - 3600 }),
      'x'.repeat(9_000),
    ];
    const answers = new Set<string>();
    for (const token of tokens) {
      const res = await app.inject({ method: 'GET', url: '/probe/me', headers: { authorization: `Bearer ${token}` } });
      const { requestId: _id, ...body } = res.json<Record<string, unknown>>();
      answers.add(JSON.stringify([res.statusCode, res.headers['www-authenticate'], body]));
      expect(res.body).not.toContain(token.slice(0, 20));
    }
    expect([...answers]).toEqual([
      JSON.stringify([
        401,
        'Bearer realm="stackone-connect-service", error="invalid_token", ApiKey realm="stackone-connect-service", header="X-API-Key"',
        { type: 'urn:stackone-connect-service:problem:unauthorized', title: 'Unauthorized', status: 401, detail: 'The bearer token is invalid or expired.', instance: '/probe/me' },
      ]),
    ]);
  });

  it('refuses both credentials at once', async () => {
    const token = await signHs256({ org_id: 'org_1', org_name: 'Acme' }, SECRET);
    const res = await app.inject({ method: 'GET', url: '/probe/me', headers: { authorization: `Bearer ${token}`, 'x-api-key': BOUND_KEY } });
    expect([res.statusCode, res.json<{ detail: string }>().detail]).toEqual([401, expect.stringContaining('exactly one')]);
  });

  it('lets @Public() routes through', async () => {
    const res = await app.inject({ method: 'GET', url: '/probe/open' });
    expect([res.statusCode, res.json()]).toEqual([200, { ok: true }]);
  });

  it('fails loudly (500) when @CurrentTenant() is used where the guard did not run', async () => {
    // The filter logs the 500 at error level: captured here so a passing run prints no stack trace.
    const errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const res = await app.inject({ method: 'GET', url: '/probe/misconfigured' });
      expect(res.statusCode).toBe(500);
      expect(errorLog).toHaveBeenCalledWith(expect.stringContaining('GET /probe/misconfigured'), expect.stringContaining('AuthGuard did not run'));
    } finally {
      errorLog.mockRestore();
    }
  });

  it('documents @ApiTenantAuth() routes: both security schemes and problem+json 401/403', () => {
    const doc = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    const op = doc.paths['/probe/me']?.get;
    expect(op?.security).toEqual(expect.arrayContaining([{ bearer: [] }, { 'api-key': [] }]));
    for (const status of ['401', '403']) {
      expect(op?.responses[status]).toMatchObject({
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      });
    }
    expect(doc.components?.schemas?.ProblemDetailsDto).toBeDefined();
  });
});
