import { ModulesContainer, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { NOT_AN_OBJECT } from './http-edge/json-body';
import { createRootLogger } from './observability/logging';
import { testConfig } from '../test/support/config';
import { tenantToken } from '../test/support/jwt';
import { LogCapture } from '../test/support/logs';

/**
 * The cross-cutting pieces come with the modules: an app made from AppModule alone, with a bare
 * Fastify adapter and none of createApp's set-up, still answers with them. (The request id itself
 * is the adapter's genReqId, an option of createApp's adapter.)
 */
describe(AppModule.name, () => {
  let app: NestFastifyApplication;
  const logs = new LogCapture();

  beforeAll(async () => {
    const config = testConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', STACKONE_BASE_URL: 'http://127.0.0.1:9' });
    const rootLogger = createRootLogger(config, logs);
    app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, rootLogger), new FastifyAdapter(), { logger: false, bodyParser: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('sets the security headers and the request id on a 404, answered as problem+json', async () => {
    const res = await app.inject({ method: 'GET', url: '/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBe(res.json<{ requestId: string }>().requestId);
  });

  it('answers 405 with Allow for a known path and another method', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/v1/connect-sessions' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.headers['content-security-policy']).toBeDefined();
  });

  it('parses JSON objects only: a form is 415, a JSON array 400 before any guard runs', async () => {
    const form = await app.inject({ method: 'POST', url: '/v1/connect-sessions', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'provider=hibob' });
    expect(form.statusCode).toBe(415);
    const array = await app.inject({ method: 'POST', url: '/v1/connect-sessions', headers: { 'content-type': 'application/json' }, payload: '[1]' });
    expect(array.statusCode).toBe(400);
    expect(array.json()).toMatchObject({ detail: NOT_AN_OBJECT });
  });

  it('validates bodies with the global pipe (400 with errors[])', async () => {
    const jwt = await tenantToken({ org_id: 'org_wiring', org_name: 'Wiring', sub: 'u1' });
    const res = await app.inject({ method: 'POST', url: '/v1/connect-sessions', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, payload: { unknownField: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [expect.objectContaining({ field: 'unknownField' })] });
  });

  it('makes only infrastructure global: a feature module imports the feature modules it uses', () => {
    const globals = [...app.get(ModulesContainer).values()].filter((m) => m.isGlobal).map((m) => m.metatype.name);
    const frameworks = ['InternalCoreModule', 'ConfigHostModule', 'ConfigModule', 'ThrottlerModule']; // Nest's, @nestjs/config's, @nestjs/throttler's own
    const infrastructure = ['ObservabilityModule', 'RedisModule', 'StateModule', 'RelayQueueModule'];
    expect([...new Set(globals)].sort()).toEqual([...frameworks, ...infrastructure].sort());
  });

  it('writes one request line per request and counts it in the metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/nothing-either' });
    expect(logs.parsed().filter((l) => l.reqId === res.headers['x-request-id'])).toEqual([expect.objectContaining({ msg: 'request completed', status: 404, route: 'unmatched' })]);
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="unmatched",status="404"\} [1-9]/);
  });
});
