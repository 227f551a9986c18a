import { Logger } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { once } from 'node:events';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { testConfigModule } from '../../test/support/config';
import { LogCapture } from '../../test/support/logs';
import { RedisHealth } from '../redis/redis-health';
import { REDIS, RedisModule } from '../redis/redis.module';
import { StateModule } from '../state/state.module';
import { MetricsService } from '../observability/metrics.service';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from '../../test/support/redis';
import { basicAuth, fail, json, startStackOneStandIn } from '../../test/support/stackone-stand-in';
import type { StackOneStandIn, StandInHandler } from '../../test/support/stackone-stand-in';
import { StackOneApiError } from './stackone-api.error';
import { StackOneHttpService } from './stackone-http.service';
import { STACKONE_OBSERVER, StackOneObserver } from './stackone.observer';
import { StackOneModule } from './stackone.module';
import { StackOnePool } from './stackone-pool';
import { parseRetryAfter, upstreamMessage } from './stackone.wire-checks';

const API_KEY = 'sk_unit_stackone_key_9d2e';
/** base64(key:), the credential inside the Authorization header. */
const BASIC = basicAuth(API_KEY).slice('Basic '.length);
const SESSION = {
  id: 1,
  organization_id: 2,
  project_id: 'p',
  origin_owner_id: 'org_1',
  origin_owner_name: 'Acme',
  created_at: '2026-11-24T10:00:00.000Z',
  token: 'tok',
  auth_link_url: 'https://hub/connect?token=tok',
};
const ACCOUNT = {
  id: 'acc_1',
  provider: 'hibob',
  status: 'active',
  origin_owner_id: 'org_1',
  origin_owner_name: 'Acme',
  created_at: '2026-11-24T10:00:00.000Z',
  updated_at: '2026-11-24T10:00:00.000Z',
};
const CONNECTOR = { provider: 'hibob', provider_name: 'HiBob', category: 'hris' };
const BODY = { origin_owner_id: 'org_1', origin_owner_name: 'Acme', provider: 'hibob' };
const TENANT = BODY.origin_owner_id;

/** Everything any Nest Logger writes while this file runs. */
const logs = new LogCapture();

const reset: StandInHandler = (req) => req.socket.destroy();
const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Built {
  sut: StackOneHttpService;
  moduleRef: TestingModule;
  events: { hook: string; event: unknown }[];
}
const modules: TestingModule[] = [];

/** The module under test, as the app builds it: ConfigModule + RedisModule (or a given client) + StackOneModule. */
async function build(baseUrl: string, env: Record<string, string> = {}, redis?: Redis | null): Promise<Built> {
  const config = {
    STACKONE_API_KEY: API_KEY,
    STACKONE_BASE_URL: baseUrl,
    STACKONE_TIMEOUT_MS: '1500',
    STACKONE_MAX_RETRIES: '2',
    STACKONE_BREAKER_FAILURES: '50',
    ...env,
  };
  const events: Built['events'] = [];
  const record =
    (hook: string) =>
    (event: unknown): void => {
      events.push({ hook, event });
    };
  const observer: StackOneObserver = {
    onAttempt: record('onAttempt'),
    onRetry: record('onRetry'),
    onBreakerStateChange: record('onBreakerStateChange'),
    onCallComplete: record('onCallComplete'),
  };
  class RedisStub {}
  class ObserverModule {}
  const redisModule =
    redis === undefined
      ? RedisModule
      : { module: RedisStub, global: true, providers: [{ provide: REDIS, useValue: redis }, RedisHealth], exports: [REDIS, RedisHealth] };
  class MetricsModule {}
  const moduleRef = await Test.createTestingModule({
    imports: [
      testConfigModule(config),
      { module: MetricsModule, global: true, providers: [MetricsService], exports: [MetricsService] },
      redisModule,
      StateModule,
      { module: ObserverModule, global: true, providers: [{ provide: STACKONE_OBSERVER, useValue: observer }], exports: [STACKONE_OBSERVER] },
      StackOneModule,
    ],
  }).compile();
  moduleRef.useLogger(logs);
  await moduleRef.init();
  modules.push(moduleRef);
  return { sut: moduleRef.get(StackOneHttpService), moduleRef, events };
}

async function failure(p: Promise<unknown>): Promise<StackOneApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StackOneApiError) return err;
    throw err;
  }
  throw new Error('expected a StackOneApiError');
}

/** The breaker's state as the observer (the metrics gauge) last heard it. */
function breakerState(events: Built['events']): unknown {
  return events.filter((e) => e.hook === 'onBreakerStateChange').at(-1)?.event ?? 'closed';
}

async function waitForReady(client: Redis): Promise<void> {
  if (client.status !== 'ready') await once(client, 'ready');
}

describe(StackOneHttpService.name, () => {
  let upstream: StackOneStandIn;
  let sut: StackOneHttpService;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    Logger.overrideLogger(logs);
    process.on('unhandledRejection', onUnhandled);
    // Every request no test scripts gets SESSION, whatever its route.
    upstream = await startStackOneStandIn({ fallback: (_req, res) => json(res, 201, SESSION) });
    ({ sut } = await build(upstream.url));
  });
  afterAll(async () => {
    for (const m of modules) await m.close();
    await upstream.close();
    process.off('unhandledRejection', onUnhandled);
  });
  beforeEach(() => {
    upstream.reset();
  });

  describe('requests', () => {
    it('sends the exact JSON body with Basic auth and JSON headers, and returns the parsed answer', async () => {
      await expect(sut.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(upstream.seen).toHaveLength(1);
      const [req] = upstream.seen;
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/connect_sessions');
      expect(req.headers.authorization).toBe(basicAuth(API_KEY));
      expect(req.headers['content-type']).toMatch(/^application\/json/);
      expect(req.headers.accept).toMatch(/application\/json/);
      expect(req.body).toBe(JSON.stringify(BODY));
    });

    it("sends no header beyond the ones it means to (none of axios's global defaults)", async () => {
      await sut.createConnectSession(TENANT, BODY);
      upstream.next((_q, res) => json(res, 200, []));
      await sut.listAccounts(TENANT, { origin_owner_id: 'org_1' });
      const [post, get] = upstream.seen;
      expect(Object.keys(post.headers).sort()).toEqual(['accept', 'authorization', 'connection', 'content-length', 'content-type', 'host']);
      expect(Object.keys(get.headers).sort()).toEqual(['accept', 'authorization', 'connection', 'host']);
      expect(get.headers.accept).toBe('application/json');
      expect(get.headers.authorization).toBe(basicAuth(API_KEY));
    });

    it("sends every request under the base URL's path, to its origin only", async () => {
      const { sut: prefixed } = await build(`${upstream.url}/v1/`);
      upstream.next((_q, res) => json(res, 201, SESSION), (_q, res) => json(res, 200, []));
      await prefixed.createConnectSession(TENANT, BODY);
      await prefixed.listAccounts(TENANT, {});
      await failure(prefixed.getAccount(TENANT, 'http://127.0.0.1:1/x'));
      expect(upstream.seen.map((s) => s.url)).toEqual(['/v1/connect_sessions', '/v1/accounts', '/v1/accounts/http%3A%2F%2F127.0.0.1%3A1%2Fx']);
    });

    it('encodes path parameters as one segment and repeats array query parameters', async () => {
      upstream.next(
        (_q, res) => json(res, 200, []),
        (_q, res) => json(res, 404, { message: 'nope' }),
        (_q, res) => json(res, 404, { message: 'nope' }),
        (_q, res) => json(res, 404, { message: 'nope' }),
      );
      await sut.listAccounts(TENANT, { origin_owner_id: 'org 1', origin_owner_ids: ['a', 'b&c'], providers: ['hibob', 'lever'], page_size: 10 });
      expect(upstream.seen[0].url).toBe('/accounts?origin_owner_id=org+1&origin_owner_ids=a&origin_owner_ids=b%26c&providers=hibob&providers=lever&page_size=10');
      await failure(sut.getAccount(TENANT, '../x?y#z'));
      await failure(sut.getAccount(TENANT, '..'));
      await failure(sut.updateAccount(TENANT, 'hi/bob', { label: 'L' }));
      expect(upstream.seen.slice(1).map((s) => s.url)).toEqual(['/accounts/..%2Fx%3Fy%23z', '/accounts/%2E%2E', '/accounts/hi%2Fbob']);
    });

    it('uses the right method, path and body for every operation', async () => {
      upstream.next(
        (_q, res) => json(res, 200, ACCOUNT),
        (_q, res) => json(res, 200, ACCOUNT),
        (_q, res) => json(res, 200, ACCOUNT),
        (_q, res) => json(res, 200, [CONNECTOR]),
      );
      await expect(sut.getAccount(TENANT, 'acc_1')).resolves.toEqual(ACCOUNT);
      await sut.updateAccount(TENANT, 'acc_1', { label: 'L' });
      await sut.deleteAccount(TENANT, 'acc_1');
      await expect(sut.listConnectors()).resolves.toEqual([CONNECTOR]);
      expect(upstream.seen.map((s) => [s.method, s.url, s.body])).toEqual([
        ['GET', '/accounts/acc_1', ''],
        ['PATCH', '/accounts/acc_1', '{"label":"L"}'],
        ['DELETE', '/accounts/acc_1', ''],
        ['GET', '/connectors/meta', ''],
      ]);
    });
  });

  describe('failure mapping', () => {
    it.each([400, 401, 403, 404, 409, 422, 500, 501])('StackOne %i → kind http with that status, one request (no retry)', async (status) => {
      upstream.next(fail(status));
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect([err.kind, err.status, err.options.attempts, upstream.seen.length]).toEqual(['http', status, 1, 1]);
      expect(err.options.upstreamMessage).toBe(`failure ${status}`);
    });

    it("keeps StackOne's message (bounded, one line) and its request id, nothing else of the body", async () => {
      upstream.next((_q, res) =>
        json(res, 400, { statusCode: 400, message: `Provider\nhibob ${'x'.repeat(1000)}`, data: { secret: 'cred-value' } }, { 'x-request-id': 'req-123' }),
      );
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect(err.options.upstreamMessage).toMatch(/^Provider hibob x+$/);
      expect(err.options.upstreamMessage?.length).toBe(300);
      expect(err.options.upstreamRequestId).toBe('req-123');
      expect(JSON.stringify(err)).not.toContain('cred-value');
    });

    it('leaves the message out when the error body is not JSON', async () => {
      upstream.next((_q, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html>Bad gateway</html>');
      }, fail(400));
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect(err.status).toBe(400);
      expect(upstream.seen).toHaveLength(2);
      upstream.next((_q, res) => {
        res.writeHead(400, { 'content-type': 'text/html' });
        res.end('<html>Bad request</html>');
      });
      const html = await failure(sut.createConnectSession(TENANT, BODY));
      expect([html.kind, html.status, html.options.upstreamMessage]).toEqual(['http', 400, undefined]);
    });

    it('does not follow a redirect: invalid-response, and the Location target receives no request', async () => {
      const target = await startStackOneStandIn();
      try {
        upstream.next((_q, res) => {
          res.writeHead(307, { location: `${target.url}/connect_sessions` });
          res.end();
        });
        const err = await failure(sut.createConnectSession(TENANT, BODY));
        expect([err.kind, err.status]).toEqual(['invalid-response', 307]);
        await delay(50);
        expect(target.seen).toHaveLength(0);
        expect(upstream.seen).toHaveLength(1);
      } finally {
        await target.close();
      }
    });

    const broken: [string, StandInHandler][] = [
      ['truncated JSON', (_q, res) => { res.writeHead(201, { 'content-type': 'application/json' }); res.end('{"tok'); }],
      ['HTML', (_q, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>hi</html>'); }],
      ['an empty body', (_q, res) => { res.writeHead(204); res.end(); }],
      ['no token', (_q, res) => json(res, 201, { ...SESSION, token: undefined })],
      ['a numeric token', (_q, res) => json(res, 201, { ...SESSION, token: 42 })],
      ['an empty auth_link_url', (_q, res) => json(res, 201, { ...SESSION, auth_link_url: '' })],
      ['no created_at', (_q, res) => json(res, 201, { ...SESSION, created_at: undefined })],
      ['an array', (_q, res) => json(res, 201, [SESSION])],
    ];
    it.each(broken)('refuses a 2xx with %s as invalid-response (no retry)', async (_name, handler) => {
      upstream.next(handler);
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect(err.kind).toBe('invalid-response');
      expect(upstream.seen).toHaveLength(1);
    });

    it('refuses an accounts answer that is not an array of accounts', async () => {
      upstream.next((_q, res) => json(res, 200, { data: [ACCOUNT] }), (_q, res) => json(res, 200, [{ ...ACCOUNT, id: 7 }]));
      expect((await failure(sut.listAccounts(TENANT, {}))).kind).toBe('invalid-response');
      expect((await failure(sut.listAccounts(TENANT, {}))).kind).toBe('invalid-response');
    });

    it('aborts a huge answer at the size cap, declared or streamed, without reading it all', async () => {
      const { sut: small } = await build(upstream.url, { STACKONE_MAX_RESPONSE_BYTES: '65536' });
      upstream.next((_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`[${'"x",'.repeat(50_000)}"x"]`);
      });
      expect((await failure(small.listAccounts(TENANT, {}))).kind).toBe('invalid-response');

      let written = 0;
      upstream.next((_q, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no content-length
        const chunk = Buffer.alloc(16 * 1024, 0x20);
        const pump = (): void => {
          while (!res.destroyed && written < 50 * 1024 * 1024) {
            written += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      expect((await failure(small.listAccounts(TENANT, {}))).kind).toBe('invalid-response');
      expect(written).toBeLessThan(8 * 1024 * 1024);
    });

    it('ends a slow drip (one byte every 500 ms) at the total deadline as timeout', async () => {
      upstream.next((_q, res) => {
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': '500' });
        const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 500);
        res.on('close', () => clearInterval(timer));
      });
      const started = Date.now();
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      const elapsed = Date.now() - started;
      expect(err.kind).toBe('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(1_450);
      expect(elapsed).toBeLessThan(1_500 + 250);
    });

    it('maps a connection reset mid-response to network, retries it, and leaves no unhandled rejection', async () => {
      upstream.next(
        (req, res) => {
          res.writeHead(201, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"token":');
          setTimeout(() => req.socket.destroy(), 20);
        },
        reset,
        reset,
      );
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect([err.kind, err.options.attempts, upstream.seen.length]).toEqual(['network', 3, 3]);
      await delay(50);
      expect(unhandled).toEqual([]);
    });

    it('retries a reset before the answer, then succeeds', async () => {
      upstream.next(reset);
      await expect(sut.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(upstream.seen).toHaveLength(2);
    });

    it('fails fast on connection refused (network), retrying within the deadline', async () => {
      const closed = await startStackOneStandIn();
      const url = closed.url;
      await closed.close();
      const { sut: refused } = await build(url, { STACKONE_MAX_RETRIES: '0' });
      const started = Date.now();
      const err = await failure(refused.createConnectSession(TENANT, BODY));
      expect([err.kind, err.options.attempts]).toEqual(['network', 1]);
      expect(Date.now() - started).toBeLessThan(500);
      const { sut: retrying } = await build(url, { STACKONE_MAX_RETRIES: '2' });
      const again = await failure(retrying.createConnectSession(TENANT, BODY));
      expect([again.kind, again.options.attempts]).toEqual(['network', 3]);
    });
  });

  describe('retries', () => {
    it.each([502, 503, 504, 408])('retries %i, then succeeds', async (status) => {
      upstream.next(fail(status));
      await expect(sut.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(upstream.seen).toHaveLength(2);
    });

    it('gives up after maxRetries extra attempts, with the last error', async () => {
      upstream.next(fail(503), fail(503), fail(502));
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect([err.kind, err.status, err.options.attempts, upstream.seen.length]).toEqual(['http', 502, 3, 3]);
    });

    it('never runs past the deadline, whatever the backoff', async () => {
      // Its own upstream: an attempt sent just before the deadline may still arrive after the call
      // ended, and on the shared one it would take the next test's scripted answer.
      const own = await startStackOneStandIn({ fallback: (_req, res) => json(res, 201, SESSION) });
      try {
        const { sut: slow } = await build(own.url, { STACKONE_MAX_RETRIES: '10', STACKONE_TIMEOUT_MS: '1000' });
        const slow503: StandInHandler = (req, res) => void setTimeout(() => fail(503)(req, res), 300);
        own.next(...Array.from({ length: 12 }, () => slow503));
        const started = Date.now();
        const err = await failure(slow.createConnectSession(TENANT, BODY));
        expect(Date.now() - started).toBeLessThan(1_000 + 250);
        expect(['timeout', 'http']).toContain(err.kind);
        expect(own.seen.length).toBeLessThanOrEqual(4);
      } finally {
        await own.close();
      }
    });

    it('honours Retry-After: 1 on a 429, then succeeds', async () => {
      upstream.next(fail(429, { 'retry-after': '1' }));
      const started = Date.now();
      await expect(sut.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(upstream.seen).toHaveLength(2);
    });

    it('honours Retry-After as an HTTP-date', async () => {
      const { sut: patient } = await build(upstream.url, { STACKONE_TIMEOUT_MS: '5000' });
      upstream.next(fail(503, { 'retry-after': new Date(Date.now() + 1_500).toUTCString() }));
      const started = Date.now();
      await expect(patient.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(upstream.seen).toHaveLength(2);
    });

    it.each([
      ['beyond the cap (seconds)', (): string => '30', 30],
      ['beyond the cap (HTTP-date)', (): string => new Date(Date.now() + 60_000).toUTCString(), 60],
      ['within the cap but beyond the deadline', (): string => '3', 3],
    ])('answers at once with retryAfterSeconds when Retry-After is %s', async (_name, retryAfter, seconds) => {
      upstream.next(fail(429, { 'retry-after': retryAfter() }));
      const started = Date.now();
      const err = await failure(sut.createConnectSession(TENANT, BODY));
      expect(Date.now() - started).toBeLessThan(300);
      expect([err.kind, err.status, upstream.seen.length]).toEqual(['http', 429, 1]);
      expect(err.options.retryAfterSeconds).toBeGreaterThanOrEqual(seconds - 2);
      expect(err.options.retryAfterSeconds).toBeLessThanOrEqual(seconds);
    });

    it('parses Retry-After in both forms', () => {
      const now = Date.parse('2026-11-24T10:00:00Z');
      expect(parseRetryAfter('7', now)).toBe(7);
      expect(parseRetryAfter(' 0 ', now)).toBe(0);
      expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5);
      expect(parseRetryAfter('Tue, 24 Nov 2026 09:00:00 GMT', now)).toBe(0);
      expect(parseRetryAfter('Sunday, 24-Nov-26 10:00:09 GMT', now)).toBe(9);
      expect(parseRetryAfter('soon', now)).toBeUndefined();
      expect(parseRetryAfter('-3', now)).toBeUndefined();
      expect(parseRetryAfter(undefined, now)).toBeUndefined();
    });
  });

  describe('circuit breaker', () => {
    it('opens after N failures, fails fast without calling StackOne, sends one half-open probe after the cool-down, closes on success', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '3', STACKONE_BREAKER_COOLDOWN_MS: '200', STACKONE_MAX_RETRIES: '0' });
      upstream.next(fail(500), reset, fail(503));
      for (let i = 0; i < 3; i++) await failure(breaker.createConnectSession(TENANT, BODY));
      expect(breakerState(events)).toBe('open');
      expect(upstream.seen).toHaveLength(3);

      const open = await failure(breaker.createConnectSession(TENANT, BODY));
      expect([open.kind, open.options.retryAfterSeconds, open.options.attempts]).toEqual(['circuit-open', 1, 0]);
      expect(upstream.seen).toHaveLength(3);

      await delay(250);
      upstream.next((req, res) => void setTimeout(() => json(res, 201, SESSION), 100));
      const calls = [0, 1, 2].map(() => breaker.createConnectSession(TENANT, BODY).then(() => 'ok', (e: StackOneApiError) => e.kind));
      expect((await Promise.all(calls)).sort()).toEqual(['circuit-open', 'circuit-open', 'ok']);
      expect(upstream.seen).toHaveLength(4);
      expect(breakerState(events)).toBe('closed');
      expect(events.filter((e) => e.hook === 'onBreakerStateChange').map((e) => e.event)).toEqual(['open', 'half-open', 'closed']);
    });

    it('re-opens when the half-open probe fails', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '2', STACKONE_BREAKER_COOLDOWN_MS: '200', STACKONE_MAX_RETRIES: '0' });
      upstream.next(fail(502), fail(502), fail(500));
      for (let i = 0; i < 2; i++) await failure(breaker.createConnectSession(TENANT, BODY));
      await delay(250);
      expect((await failure(breaker.createConnectSession(TENANT, BODY))).status).toBe(500);
      expect(breakerState(events)).toBe('open');
      expect((await failure(breaker.createConnectSession(TENANT, BODY))).kind).toBe('circuit-open');
      expect(upstream.seen).toHaveLength(3);
    });

    it('does not count 4xx, 429 or broken 2xx bodies', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '2', STACKONE_MAX_RETRIES: '0' });
      upstream.next(fail(400), fail(404), fail(422), fail(429), fail(401), (_q, res) => json(res, 201, {}), (_q, res) => json(res, 201, {}));
      for (let i = 0; i < 7; i++) await failure(breaker.createConnectSession(TENANT, BODY));
      expect(breakerState(events)).toBe('closed');
      expect(upstream.seen).toHaveLength(7);
    });

    it('counts failed calls, not attempts: N-1 calls of 3 failed attempts leave it closed, the Nth opens it', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '3', STACKONE_MAX_RETRIES: '2', STACKONE_BREAKER_COOLDOWN_MS: '60000' });
      upstream.next(...Array.from({ length: 9 }, () => fail(503)));
      for (let call = 1; call <= 2; call++) {
        const err = await failure(breaker.createConnectSession(TENANT, BODY));
        expect([err.kind, err.status, err.options.attempts]).toEqual(['http', 503, 3]);
        expect(breakerState(events)).toBe('closed');
      }
      const third = await failure(breaker.createConnectSession(TENANT, BODY));
      expect([third.kind, third.status, third.options.attempts]).toEqual(['http', 503, 3]);
      expect(breakerState(events)).toBe('open');
      expect(upstream.seen).toHaveLength(9);
      expect((await failure(breaker.createConnectSession(TENANT, BODY))).kind).toBe('circuit-open');
      expect(upstream.seen).toHaveLength(9);
    });

    it('counts a call that succeeds on a retry as a success, restarting the count', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '2', STACKONE_MAX_RETRIES: '2' });
      upstream.next(fail(503), fail(503), fail(503), fail(502), fail(503), (_q, res) => json(res, 201, SESSION), fail(500), fail(500), fail(500));
      await failure(breaker.createConnectSession(TENANT, BODY));
      await expect(breaker.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
      expect(breakerState(events)).toBe('closed');
      await failure(breaker.createConnectSession(TENANT, BODY));
      expect(breakerState(events)).toBe('closed');
      expect(upstream.seen).toHaveLength(7);
    });

    it('leaves an open breaker open when the would-be probe is refused by our own budget (StackOne never asked)', async () => {
      const { sut: breaker, events } = await build(upstream.url, {
        STACKONE_BREAKER_FAILURES: '2',
        STACKONE_BREAKER_COOLDOWN_MS: '200',
        STACKONE_MAX_RETRIES: '0',
        STACKONE_RATE_LIMIT_PER_MINUTE: '2',
        STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0',
      });
      upstream.next(fail(503), fail(503));
      for (let i = 0; i < 2; i++) await failure(breaker.createConnectSession(TENANT, BODY));
      await delay(250);
      expect((await failure(breaker.createConnectSession(TENANT, BODY))).kind).toBe('rate-limited');
      expect(breakerState(events)).toBe('open');
      expect(upstream.seen).toHaveLength(2);
    });

    it('stops retrying a call once another call has opened the breaker', async () => {
      const { sut: breaker, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '1', STACKONE_MAX_RETRIES: '2', STACKONE_BREAKER_COOLDOWN_MS: '60000' });
      const slow503: StandInHandler = (req, res) => void setTimeout(() => fail(503)(req, res), 150);
      upstream.next(slow503, fail(500), fail(503), fail(503), fail(503));
      // A: its first attempt is slow; meanwhile B fails once (no retry for 500) and opens the breaker.
      const a = failure(breaker.createConnectSession(TENANT, BODY));
      await delay(20);
      const b = await failure(breaker.createConnectSession(TENANT, BODY));
      expect([b.kind, b.status, breakerState(events)]).toEqual(['http', 500, 'open']);
      const errA = await a;
      expect([errA.kind, errA.options.attempts]).toEqual(['circuit-open', 1]);
      expect(upstream.seen).toHaveLength(2);
    });
  });

  describe('outbound rate limit', () => {
    it('refuses the call past the budget with retryAfterSeconds, without reaching StackOne', async () => {
      const { sut: limited } = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '3', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0' });
      for (let i = 0; i < 3; i++) await limited.createConnectSession(TENANT, BODY);
      const started = Date.now();
      const err = await failure(limited.createConnectSession(TENANT, BODY));
      expect(Date.now() - started).toBeLessThan(200);
      expect([err.kind, err.options.attempts]).toEqual(['rate-limited', 0]);
      expect(err.options.retryAfterSeconds).toBeGreaterThan(50);
      expect(err.options.retryAfterSeconds).toBeLessThanOrEqual(60);
      expect(upstream.seen).toHaveLength(3);
    });

    it('charges every attempt, retries included', async () => {
      const { sut: limited } = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '3', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0' });
      upstream.next(fail(503), fail(503));
      await limited.createConnectSession(TENANT, BODY);
      expect((await failure(limited.createConnectSession(TENANT, BODY))).kind).toBe('rate-limited');
      expect(upstream.seen).toHaveLength(3);
    });

    it('falls back to the in-process limiter when Redis is unavailable, instead of failing calls', async () => {
      const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      down.on('error', () => undefined);
      try {
        const { sut: limited } = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '2', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0' }, down);
        await expect(limited.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
        await expect(limited.createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
        expect((await failure(limited.createConnectSession(TENANT, BODY))).kind).toBe('rate-limited');
        expect(upstream.seen).toHaveLength(2);
      } finally {
        down.disconnect();
      }
    });
  });

  describeWithRedis('outbound rate limit in Redis', () => {
    afterAll(() => cleanUpRedisKeys());
    it('is one budget for two service instances (two replicas) on the same Redis', async () => {
      const env = { STACKONE_RATE_LIMIT_PER_MINUTE: '4', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0', REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix() };
      const one = await build(upstream.url, env);
      const two = await build(upstream.url, env);
      await waitForReady(one.moduleRef.get<Redis>(REDIS));
      await waitForReady(two.moduleRef.get<Redis>(REDIS));
      expect(one.moduleRef.get<Redis>(REDIS)).not.toBe(two.moduleRef.get<Redis>(REDIS));
      await one.sut.createConnectSession(TENANT, BODY);
      await two.sut.createConnectSession(TENANT, BODY);
      await one.sut.createConnectSession(TENANT, BODY);
      await two.sut.createConnectSession(TENANT, BODY);
      expect((await failure(one.sut.createConnectSession(TENANT, BODY))).kind).toBe('rate-limited');
      expect((await failure(two.sut.createConnectSession(TENANT, BODY))).kind).toBe('rate-limited');
      expect(upstream.seen).toHaveLength(4);
    });
  });

  describe('observer', () => {
    it('reports attempts, retries and the call outcome; a throwing observer breaks nothing', async () => {
      const { sut: observed, events } = await build(upstream.url);
      upstream.next(fail(503));
      await observed.createConnectSession(TENANT, BODY);
      const byHook = (hook: string): unknown[] => events.filter((e) => e.hook === hook).map((e) => e.event);
      expect(byHook('onAttempt')).toEqual([
        expect.objectContaining({ operation: 'createConnectSession', attempt: 1, status: 503, outcome: 'http-error' }),
        expect.objectContaining({ operation: 'createConnectSession', attempt: 2, status: 201, outcome: 'ok' }),
      ]);
      expect(byHook('onRetry')).toEqual([expect.objectContaining({ operation: 'createConnectSession', attempt: 1, reason: '503' })]);
      expect(byHook('onCallComplete')).toEqual([expect.objectContaining({ operation: 'createConnectSession', outcome: 'ok', attempts: 2 })]);

      const moduleRef = await Test.createTestingModule({
        imports: [
          testConfigModule({ STACKONE_API_KEY: API_KEY, STACKONE_BASE_URL: upstream.url }),
          { module: class Metrics {}, global: true, providers: [MetricsService], exports: [MetricsService] },
          RedisModule,
          StateModule,
          {
            module: class ThrowingObserver {},
            global: true,
            providers: [{ provide: STACKONE_OBSERVER, useValue: { onAttempt: () => { throw new Error('observer bug'); } } }],
            exports: [STACKONE_OBSERVER],
          },
          StackOneModule,
        ],
      }).compile();
      modules.push(moduleRef);
      await expect(moduleRef.get(StackOneHttpService).createConnectSession(TENANT, BODY)).resolves.toEqual(SESSION);
    });
  });

  describe('secrets', () => {
    it('redacts our key and credential schemes echoed in an upstream message', () => {
      const text = upstreamMessage({ message: `bad key ${API_KEY} / Basic ${BASIC} / bearer abc.def` }, [API_KEY, BASIC]);
      expect(text).toBe('bad key [redacted] / [redacted] / [redacted]');
    });

    it('never puts the key, base64(key:) or "Basic " into logs, observer events or errors, however printed', async () => {
      const { sut: leaky, events } = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '2', STACKONE_MAX_RETRIES: '0' });
      upstream.next(
        fail(401, {}, `bad key ${API_KEY} Basic ${BASIC}`),
        (req, res) => json(res, 500, { message: 'boom', echo: req.headers.authorization }),
        fail(500, {}, `Basic ${BASIC}`),
      );
      const errors = [
        await failure(leaky.createConnectSession(TENANT, BODY)),
        await failure(leaky.createConnectSession(TENANT, BODY)),
        await failure(leaky.createConnectSession(TENANT, BODY)),
        await failure(leaky.createConnectSession(TENANT, BODY)), // circuit-open
      ];
      expect(errors.map((e) => e.kind)).toEqual(['http', 'http', 'http', 'circuit-open']);
      expect(logs.lines.some((l) => l.includes('circuit breaker open'))).toBe(true);
      const printed = [
        ...logs.lines,
        JSON.stringify(events),
        ...errors.flatMap((e) => [JSON.stringify(e), String(e), inspect(e, { depth: 10, showHidden: true }), e.stack ?? '', e.message]),
      ];
      for (const text of printed) {
        expect(text).not.toContain(API_KEY);
        expect(text).not.toContain(BASIC);
        expect(text).not.toContain('Basic ');
      }
    });
  });

  describe('lifecycle', () => {
    it('closes the undici pool when the application shuts down', async () => {
      const { moduleRef } = await build(upstream.url);
      await moduleRef.get(StackOneHttpService).createConnectSession(TENANT, BODY);
      const { pool } = moduleRef.get(StackOnePool);
      expect(pool.closed).toBe(false);
      await moduleRef.close();
      expect(pool.closed).toBe(true);
    });
  });
});
