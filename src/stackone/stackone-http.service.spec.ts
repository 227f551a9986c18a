import { Test } from '@nestjs/testing';
import { ConfigModule } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { inspect } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../config/load-config';
import { REDIS } from '../redis/redis.module';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { StackOneApiError } from './stackone-api.error';
import { StackOneHttpService } from './stackone-http.service';
import { StackOneModule } from './stackone.module';
import { parseRetryAfter } from './stackone.wire-checks';

const API_KEY = 'sk_unit_stackone_key_9d2e';
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
const BODY = { origin_owner_id: 'org_1', origin_owner_name: 'Acme', provider: 'hibob' };

type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

/** A real local HTTP server standing in for StackOne; each test scripts its answers. */
class StandIn {
  server!: Server;
  url = '';
  seen: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  private handlers: Handler[] = [];
  fallback: Handler = (_req, res) => json(res, 201, SESSION);

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        (this.handlers.shift() ?? this.fallback)(Object.assign(req, { body }), res);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }
  reset(): void {
    this.seen = [];
    this.handlers = [];
  }
  next(...handlers: Handler[]): void {
    this.handlers.push(...handlers);
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const fail = (status: number, headers: Record<string, string> = {}, message = `failure ${status}`): Handler => (_req, res) =>
  json(res, status, { statusCode: status, message, timestamp: new Date().toISOString() }, headers);

async function build(baseUrl: string, env: Record<string, string> = {}, redis: Redis | null = null): Promise<StackOneHttpService> {
  const config = loadConfig({
    STACKONE_API_KEY: API_KEY,
    STACKONE_BASE_URL: baseUrl,
    AUTH_JWT_SECRET: 's'.repeat(32),
    STACKONE_TIMEOUT_MS: '1500',
    STACKONE_MAX_RETRIES: '2',
    STACKONE_BREAKER_FAILURES: '50',
    ...env,
  });
  class RedisStub {}
  const moduleRef = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
      { module: RedisStub, global: true, providers: [{ provide: REDIS, useValue: redis }], exports: [REDIS] },
      StackOneModule,
    ],
  }).compile();
  await moduleRef.init();
  return moduleRef.get(StackOneHttpService);
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

describe(StackOneHttpService.name, () => {
  const upstream = new StandIn();
  let sut: StackOneHttpService;

  beforeAll(async () => {
    await upstream.start();
    sut = await build(upstream.url);
  });
  afterAll(async () => {
    await sut.onApplicationShutdown();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.reset();
  });

  it('sends the exact JSON body with Basic auth and parses the answer', async () => {
    await expect(sut.createConnectSession(BODY)).resolves.toEqual(SESSION);
    const [req] = upstream.seen;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/connect_sessions');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${API_KEY}:`).toString('base64')}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual(BODY);
  });

  it('encodes path parameters and repeats array query parameters', async () => {
    upstream.next((_q, res) => json(res, 200, []), (_q, res) => json(res, 404, { message: 'nope' }));
    await sut.listAccounts({ origin_owner_id: 'org 1', providers: ['hibob', 'lever'], page_size: 10 });
    expect(upstream.seen[0].url).toBe('/accounts?origin_owner_id=org+1&providers=hibob&providers=lever&page_size=10');
    await failure(sut.getAccount('../x?y'));
    expect(upstream.seen[1].url).toBe('/accounts/..%2Fx%3Fy');
  });

  it.each([
    [400, 'http', 400, 1],
    [401, 'http', 401, 1],
    [403, 'http', 403, 1],
    [404, 'http', 404, 1],
    [409, 'http', 409, 1],
    [422, 'http', 422, 1],
    [500, 'http', 500, 1],
  ])('StackOne %i → kind %s, status %i, %i attempt(s) (no retry)', async (status, kind, expected, attempts) => {
    upstream.next(fail(status));
    const err = await failure(sut.createConnectSession(BODY));
    expect([err.kind, err.status, upstream.seen.length]).toEqual([kind, expected, attempts]);
  });

  it("keeps StackOne's message, bounded, and nothing else of its body", async () => {
    upstream.next((_q, res) => json(res, 400, { statusCode: 400, message: 'Provider hibob is not enabled', data: { secret: 'x' } }));
    const err = await failure(sut.createConnectSession(BODY));
    expect(err.options.upstreamMessage).toBe('Provider hibob is not enabled');
    expect(JSON.stringify(err)).not.toContain('secret');
  });

  it.each([502, 503, 504, 408])('retries %i, then succeeds', async (status) => {
    upstream.next(fail(status));
    await expect(sut.createConnectSession(BODY)).resolves.toEqual(SESSION);
    expect(upstream.seen).toHaveLength(2);
  });

  it('gives up after maxRetries extra attempts', async () => {
    upstream.next(fail(503), fail(503), fail(503));
    const err = await failure(sut.createConnectSession(BODY));
    expect([err.status, err.options.attempts, upstream.seen.length]).toEqual([503, 3, 3]);
  });

  it('honours a short Retry-After on 429, then succeeds', async () => {
    upstream.next(fail(429, { 'retry-after': '1' }));
    const started = Date.now();
    await expect(sut.createConnectSession(BODY)).resolves.toEqual(SESSION);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(upstream.seen).toHaveLength(2);
  });

  it('answers at once with retryAfterSeconds when Retry-After is beyond the cap or the deadline', async () => {
    upstream.next(fail(429, { 'retry-after': '30' }));
    const started = Date.now();
    const err = await failure(sut.createConnectSession(BODY));
    expect(Date.now() - started).toBeLessThan(500);
    expect([err.status, err.options.retryAfterSeconds, upstream.seen.length]).toEqual([429, 30, 1]);
  });

  it('parses Retry-After in both forms', () => {
    const now = Date.parse('2026-11-24T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter('Tue, 24 Nov 2026 10:00:05 GMT', now)).toBe(5);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('ends a slow drip at the total deadline (timeout)', async () => {
    upstream.next((_q, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '500' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(' ')), 200);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await failure(sut.createConnectSession(BODY));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('maps a connection reset mid-response to network, without an unhandled rejection', async () => {
    upstream.next((req, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"token":');
      setTimeout(() => req.socket.destroy(), 20);
    });
    upstream.next((req) => req.socket.destroy(), (req) => req.socket.destroy());
    const err = await failure(sut.createConnectSession(BODY));
    expect(err.kind).toBe('network');
  });

  it('does not follow a redirect: invalid-response, and the target gets no request', async () => {
    const target = new StandIn();
    await target.start();
    upstream.next((_q, res) => {
      res.writeHead(302, { location: `${target.url}/connect_sessions` });
      res.end();
    });
    const err = await failure(sut.createConnectSession(BODY));
    expect([err.kind, err.status]).toEqual(['invalid-response', 302]);
    expect(target.seen).toHaveLength(0);
    await target.stop();
  });

  it.each([
    ['truncated JSON', (_q: unknown, res: ServerResponse) => { res.writeHead(201, { 'content-type': 'application/json' }); res.end('{"tok'); }],
    ['HTML', (_q: unknown, res: ServerResponse) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>hi</html>'); }],
    ['no token', (_q: unknown, res: ServerResponse) => json(res, 201, { ...SESSION, token: undefined })],
    ['a numeric token', (_q: unknown, res: ServerResponse) => json(res, 201, { ...SESSION, token: 42 })],
  ])('refuses a 2xx with %s as invalid-response', async (_n, handler) => {
    upstream.next(handler);
    expect((await failure(sut.createConnectSession(BODY))).kind).toBe('invalid-response');
  });

  it('aborts a huge answer at the size cap', async () => {
    const small = await build(upstream.url, { STACKONE_MAX_RESPONSE_BYTES: '65536' });
    upstream.next((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`[${'"x",'.repeat(50_000)}"x"]`);
    });
    expect((await failure(small.listAccounts({}))).kind).toBe('invalid-response');
    await small.onApplicationShutdown();
  });

  it('fails fast on connection refused', async () => {
    const closed = new StandIn();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const refused = await build(url, { STACKONE_MAX_RETRIES: '0' });
    const started = Date.now();
    expect((await failure(refused.createConnectSession(BODY))).kind).toBe('network');
    expect(Date.now() - started).toBeLessThan(1_000);
    await refused.onApplicationShutdown();
  });

  it('never carries the API key in an error, however it is printed', async () => {
    upstream.next(fail(401, {}, `bad key ${API_KEY}`));
    const err = await failure(sut.createConnectSession(BODY));
    const basic = Buffer.from(`${API_KEY}:`).toString('base64');
    for (const text of [JSON.stringify(err), String(err), inspect(err, { depth: 10, showHidden: true }), err.stack ?? '']) {
      expect(text).not.toContain(basic);
      expect(text).not.toContain('Basic ');
    }
  });

  describe('circuit breaker', () => {
    it('opens after N failures, fails fast without calling StackOne, probes after the cool-down and closes on success', async () => {
      const breaker = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '3', STACKONE_BREAKER_COOLDOWN_MS: '300', STACKONE_MAX_RETRIES: '0' });
      upstream.next(fail(500), fail(500), fail(500));
      for (let i = 0; i < 3; i++) await failure(breaker.createConnectSession(BODY));
      expect(breaker.breakerState()).toBe('open');
      const seen = upstream.seen.length;
      const open = await failure(breaker.createConnectSession(BODY));
      expect([open.kind, open.options.retryAfterSeconds]).toEqual(['circuit-open', 1]);
      expect(upstream.seen).toHaveLength(seen);
      await new Promise((r) => setTimeout(r, 350));
      await expect(breaker.createConnectSession(BODY)).resolves.toEqual(SESSION);
      expect(breaker.breakerState()).toBe('closed');
      await breaker.onApplicationShutdown();
    });

    it('does not count 4xx answers', async () => {
      const breaker = await build(upstream.url, { STACKONE_BREAKER_FAILURES: '2', STACKONE_MAX_RETRIES: '0' });
      upstream.next(fail(400), fail(404), fail(422), fail(429));
      for (let i = 0; i < 4; i++) await failure(breaker.createConnectSession(BODY));
      expect(breaker.breakerState()).toBe('closed');
      await breaker.onApplicationShutdown();
    });
  });

  describe('outbound rate limit', () => {
    it('refuses the call past the budget without reaching StackOne', async () => {
      const limited = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '3' });
      for (let i = 0; i < 3; i++) await limited.createConnectSession(BODY);
      const seen = upstream.seen.length;
      const err = await failure(limited.createConnectSession(BODY));
      expect(err.kind).toBe('rate-limited');
      expect(err.options.retryAfterSeconds).toBeGreaterThan(0);
      expect(upstream.seen).toHaveLength(seen);
      await limited.onApplicationShutdown();
    });
  });

  describeWithRedis('outbound rate limit in Redis', () => {
    it('is one budget for two instances (two replicas)', async () => {
      const redis = new Redis(redisUrl as string);
      const prefix = `test:${randomUUID()}:`;
      const one = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '4', REDIS_KEY_PREFIX: prefix }, redis);
      const two = await build(upstream.url, { STACKONE_RATE_LIMIT_PER_MINUTE: '4', REDIS_KEY_PREFIX: prefix }, redis);
      await one.createConnectSession(BODY);
      await two.createConnectSession(BODY);
      await one.createConnectSession(BODY);
      await two.createConnectSession(BODY);
      expect((await failure(one.createConnectSession(BODY))).kind).toBe('rate-limited');
      expect((await failure(two.createConnectSession(BODY))).kind).toBe('rate-limited');
      await one.onApplicationShutdown();
      await two.onApplicationShutdown();
      await redis.quit();
    });
  });
});
