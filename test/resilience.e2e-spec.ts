import { readdirSync, readlinkSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createSandbox } from '../sandbox/sandbox';
import { serviceOverSandbox, startService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { bearer as signedBearer, TEST_JWT_SECRET } from './support/jwt';
import { counterValue } from './support/metrics';
import { startServiceProcess } from './support/processes';

const bearer = (): Promise<string> => signedBearer({ org_id: 'org_r', org_name: 'Resilient Inc', email: 'r@r.example' });

/** Sockets this process holds open, from /proc (Linux). */
const openSockets = (): number => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
  } catch {
    return false;
  }
}).length;

describe('resilience through the service (sandbox fault injection)', () => {
  const ctx = serviceOverSandbox({
    STACKONE_BREAKER_FAILURES: '3',
    STACKONE_BREAKER_COOLDOWN_MS: '400',
    STACKONE_MAX_RETRIES: '0',
    RATE_LIMIT_PER_TENANT: '100000',
    STACKONE_RATE_LIMIT_PER_MINUTE: '100000',
  });
  let auth: string;

  beforeAll(async () => {
    auth = await bearer();
  });
  beforeEach(() => ctx.sandbox.reset());

  const post = () => ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ categories: ['hris'] });
  const calls = () => ctx.sandbox.requests.filter((r) => r.path === '/connect_sessions').length;

  it('opens the breaker after sustained 503s: 503 problem+json with Retry-After at once, StackOne not called; closes after the cool-down', async () => {
    ctx.sandbox.injectFault({ path: '/connect_sessions', status: 503, count: 3 });
    for (let i = 0; i < 3; i++) await post().expect(502);
    const open = await post().expect(503);
    expect(open.headers['content-type']).toMatch(/problem\+json/);
    expect(open.headers['retry-after']).toBe('1');
    expect(open.body.type).toContain('circuit-open');
    expect(calls()).toBe(3);
    const metrics = await ctx.svc.http().get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stackone_circuit_breaker_state 2/);
    await new Promise((r) => setTimeout(r, 450));
    await post().expect(201);
    expect(calls()).toBe(4);
    expect((await ctx.svc.http().get('/metrics')).text).toMatch(/stackone_circuit_breaker_state 0/);
  });

  it('counts retries and upstream outcomes in /metrics', async () => {
    // Its own request, read as a delta: the test stands alone, whatever earlier tests counted.
    const created = { method: 'POST', route: '/v1/connect-sessions', status: '201' };
    const ok = { operation: 'createConnectSession', outcome: 'ok' };
    const before = (await ctx.svc.http().get('/metrics').expect(200)).text;
    await post().expect(201);
    const text = (await ctx.svc.http().get('/metrics').expect(200)).text;
    expect(text).toMatch(/http_requests_total\{method="POST",route="\/v1\/connect-sessions",status="201"\} \d+/);
    expect(text).toMatch(/stackone_calls_total\{operation="createConnectSession",outcome="ok"\} \d+/);
    expect(text).toMatch(/http_request_duration_seconds_bucket/);
    expect(counterValue(text, 'http_requests_total', created) - counterValue(before, 'http_requests_total', created)).toBe(1);
    expect(counterValue(text, 'stackone_calls_total', ok) - counterValue(before, 'stackone_calls_total', ok)).toBe(1);
  });
});

describe('the circuit breaker counts failed calls, retries included, through the service', () => {
  const ctx = serviceOverSandbox({
    STACKONE_BREAKER_FAILURES: '3',
    STACKONE_BREAKER_COOLDOWN_MS: '60000',
    STACKONE_MAX_RETRIES: '2',
    STACKONE_TIMEOUT_MS: '5000',
    RATE_LIMIT_PER_TENANT: '100000',
  });
  let auth: string;

  beforeAll(async () => {
    auth = await bearer();
  });

  it('with a threshold of 3: two calls of 3 failed attempts leave it closed, the third opens it, the fourth fails fast', async () => {
    const post = () => ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ categories: ['hris'] });
    const calls = () => ctx.sandbox.requests.filter((r) => r.path === '/connect_sessions').length;
    const breakerState = async () => (await ctx.svc.http().get('/metrics').expect(200)).text.match(/^stackone_circuit_breaker_state (\d)/m)?.[1];
    ctx.sandbox.injectFault({ path: '/connect_sessions', status: 503, count: 9 });
    for (let i = 1; i <= 2; i++) {
      await post().expect(502);
      expect(calls()).toBe(3 * i);
      expect(await breakerState()).not.toBe('2');
    }
    await post().expect(502);
    expect(calls()).toBe(9);
    expect(await breakerState()).toBe('2');
    const open = await post().expect(503);
    expect(open.body.type).toContain('circuit-open');
    expect(calls()).toBe(9);
  });
});

describe('retries through the service', () => {
  const ctx = serviceOverSandbox({ STACKONE_MAX_RETRIES: '2', STACKONE_TIMEOUT_MS: '4000' });
  let auth: string;

  beforeAll(async () => {
    auth = await bearer();
  });
  beforeEach(() => ctx.sandbox.reset());
  const post = () => ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ categories: ['ats'] });

  it('429 with Retry-After: 1, then success → 201 after about a second', async () => {
    ctx.sandbox.injectFault({ path: '/connect_sessions', status: 429, retryAfter: 1, count: 1 });
    const retries = async (): Promise<number> =>
      counterValue((await ctx.svc.http().get('/metrics')).text, 'stackone_retries_total', { operation: 'createConnectSession', reason: '429' });
    const before = await retries();
    const started = Date.now();
    await post().expect(201);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await retries()) - before).toBe(1);
  });

  it('a burst of 503s shorter than the retry budget → 201', async () => {
    ctx.sandbox.injectFault({ path: '/connect_sessions', status: 503, count: 2 });
    await post().expect(201);
    expect(ctx.sandbox.requests.filter((r) => r.path === '/connect_sessions')).toHaveLength(3);
  });

  it('connection resets then success → 201; malformed JSON is not retried → 502', async () => {
    ctx.sandbox.injectFault({ path: '/connect_sessions', connectionReset: true, count: 1 });
    await post().expect(201);
    ctx.sandbox.injectFault({ path: '/connect_sessions', malformed: true, count: 1 });
    await post().expect(502);
  });

  it('a slow drip ends at the deadline with 504', async () => {
    ctx.sandbox.injectFault({ path: '/connect_sessions', dripMs: 500, count: 1 });
    const started = Date.now();
    await post().expect(504);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('bounded loopback load', () => {
  it('serves 3,000 requests at 32 in flight with no errors and no growth in open sockets', async () => {
    const sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    const svc = await startService(sandbox.url, { RATE_LIMIT_PER_TENANT: '1000000', STACKONE_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' });
    const { port } = await svc.listen();
    const auth = await bearer();
    const body = JSON.stringify({ provider: 'hibob', originUsername: 'load@r.example' });
    const one = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/v1/connect-sessions', method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    const run = async (total: number): Promise<Map<number, number>> => {
      const statuses = new Map<number, number>();
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (next < total) {
            next += 1;
            const s = await one();
            statuses.set(s, (statuses.get(s) ?? 0) + 1);
          }
        }),
      );
      return statuses;
    };
    await run(1_500);
    const before = openSockets();
    const statuses = await run(3_000);
    await new Promise((r) => setTimeout(r, 200));
    const after = openSockets();
    expect(Object.fromEntries(statuses)).toEqual({ 201: 3_000 });
    // Keep-alive pools are reused on all three hops (client, service, StackOne): the pools may still
    // widen a little under the mixed GET+POST load, but a leak would show thousands, one per request.
    expect(after - before).toBeLessThan(100);
    await svc.close();
    await sandbox.close();
  }, 120_000);
});

describe('graceful shutdown', () => {
  it('turns readiness unready on SIGTERM and lets an in-flight request finish', async () => {
    const sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    const svc = await startServiceProcess({ STACKONE_API_KEY: TEST_STACKONE_KEY, STACKONE_BASE_URL: sandbox.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_GRACE_MS: '600' });
    sandbox.injectFault({ path: '/connect_sessions', delayMs: 800, count: 1 });
    const inFlight = fetch(`${svc.url}/v1/connect-sessions`, { method: 'POST', headers: { authorization: await bearer(), 'content-type': 'application/json' }, body: '{}' });
    await new Promise((r) => setTimeout(r, 100));
    svc.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 150));
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect((await inFlight).status).toBe(201);
    const exited = await Promise.race([
      new Promise<boolean>((r) => svc.child.once('exit', () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(svc.child.exitCode !== null || svc.child.signalCode !== null), 3_000)),
    ]);
    await svc.stop();
    await sandbox.close();
    expect(exited).toBe(true);
  }, 30_000);
});
