import { ConflictException, UnprocessableEntityException } from '@nestjs/common';
import { Redis } from 'ioredis';
import { Tenant } from '../auth/tenant';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from '../../test/support/redis';
import { testState } from '../../test/support/state';
import { IDEMPOTENCY_STORE } from './idempotency.store';
import { RequestValidationError } from '../common/request-validation.error';
import { canonicalJson, IdempotencyService, IdempotencyUnavailableError, MALFORMED_KEY } from './idempotency.service';

const tenantA: Tenant = { id: 'org_a', name: 'A', via: 'jwt', principal: 'u' };
const tenantB: Tenant = { id: 'org_b', name: 'B', via: 'jwt', principal: 'u' };

function makeService(redis: Redis | null, env: Record<string, string> = {}): IdempotencyService {
  const { config, store } = testState({ STACKONE_TIMEOUT_MS: '500', REDIS_KEY_PREFIX: redisTestPrefix(), ...env }, redis);
  return new IdempotencyService(config, store(IDEMPOTENCY_STORE));
}

function counter<T>(value: T, delayMs = 0): { calls: () => number; work: () => Promise<T> } {
  let calls = 0;
  return {
    calls: () => calls,
    work: async () => {
      calls += 1;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      return value;
    },
  };
}

function behavesIdempotently(make: () => IdempotencyService): void {
  it('replays the first answer for the same key and body without running the work again', async () => {
    const sut = make();
    const c = counter({ token: 't1' });
    const first = await sut.run(tenantA, 'key-1', { provider: 'hibob' }, c.work);
    const second = await sut.run(tenantA, 'key-1', { provider: 'hibob' }, c.work);
    expect(first).toEqual({ value: { token: 't1' }, replayed: false });
    expect(second).toEqual({ value: { token: 't1' }, replayed: true });
    expect(c.calls()).toBe(1);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const sut = make();
    const c = counter({ token: 't' });
    await sut.run(tenantA, 'k', { a: 1, b: { c: 2, d: 3 } }, c.work);
    const again = await sut.run(tenantA, 'k', { b: { d: 3, c: 2 }, a: 1 }, c.work);
    expect(again.replayed).toBe(true);
  });

  it('refuses the same key with another body (422)', async () => {
    const sut = make();
    await sut.run(tenantA, 'k2', { provider: 'hibob' }, counter({}).work);
    await expect(sut.run(tenantA, 'k2', { provider: 'greenhouse' }, counter({}).work)).rejects.toBeInstanceOf(UnprocessableEntityException);
  });

  it('keeps tenants apart: the same key from another tenant is a new request', async () => {
    const sut = make();
    const c = counter({ token: 'x' });
    await sut.run(tenantA, 'shared', {}, c.work);
    const other = await sut.run(tenantB, 'shared', {}, c.work);
    expect(other.replayed).toBe(false);
    expect(c.calls()).toBe(2);
  });

  it('lets concurrent duplicates run the work once and both get its answer', async () => {
    const sut = make();
    const c = counter({ token: 'once' }, 100);
    const results = await Promise.all([sut.run(tenantA, 'k3', {}, c.work), sut.run(tenantA, 'k3', {}, c.work), sut.run(tenantA, 'k3', {}, c.work)]);
    expect(c.calls()).toBe(1);
    expect(results.map((r) => r.value)).toEqual([{ token: 'once' }, { token: 'once' }, { token: 'once' }]);
    expect(results.filter((r) => r.replayed)).toHaveLength(2);
  });

  it('does not store failures: a retry after an error runs the work again', async () => {
    const sut = make();
    await expect(sut.run(tenantA, 'k4', {}, () => Promise.reject(new Error('upstream down')))).rejects.toThrow('upstream down');
    const c = counter({ token: 'ok' });
    await expect(sut.run(tenantA, 'k4', {}, c.work)).resolves.toEqual({ value: { token: 'ok' }, replayed: false });
  });

  it('stops replaying after the cap (e.g. the session expiry)', async () => {
    const sut = make();
    const c = counter({ token: 'short' });
    await sut.run(tenantA, 'k5', {}, c.work, () => 50);
    await new Promise((r) => setTimeout(r, 120));
    const again = await sut.run(tenantA, 'k5', {}, c.work);
    expect(again.replayed).toBe(false);
    expect(c.calls()).toBe(2);
  });

  it('refuses malformed keys with 400 naming the header, without running the work', async () => {
    for (const key of ['has space', 'x'.repeat(256), '', 'ключ']) {
      const c = counter({});
      const refusal = await make().run(tenantA, key, {}, c.work).catch((err: unknown) => err);
      expect(refusal).toBeInstanceOf(RequestValidationError);
      expect((refusal as RequestValidationError).getStatus()).toBe(400);
      expect((refusal as RequestValidationError).errors).toEqual([{ field: 'Idempotency-Key', message: MALFORMED_KEY }]);
      expect(c.calls()).toBe(0);
    }
  });
}

describe(IdempotencyService.name, () => {
  describe('in memory', () => {
    behavesIdempotently(() => makeService(null));

    it('answers 409 when the first request is still running past the pending window', async () => {
      const sut = makeService(null, { STACKONE_TIMEOUT_MS: '100' });
      const slow = sut.run(tenantA, 'k6', {}, () => new Promise((r) => setTimeout(() => r('late'), 3_000)));
      await expect(sut.run(tenantA, 'k6', {}, counter('x').work)).rejects.toBeInstanceOf(ConflictException);
      await slow;
    }, 15_000);
  });

  describeWithRedis('in Redis', () => {
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis(redisUrl as string);
      // Every service built here adds its own RedisHealth listeners; the app builds one.
      redis.setMaxListeners(0);
    });
    afterAll(async () => {
      await cleanUpRedisKeys(redis);
      await redis.quit();
    });
    behavesIdempotently(() => makeService(redis));

    it('is shared by two instances (two replicas) on one Redis', async () => {
      const prefix = redisTestPrefix();
      const one = makeService(redis, { REDIS_KEY_PREFIX: prefix });
      const two = makeService(redis, { REDIS_KEY_PREFIX: prefix });
      const c = counter({ token: 'shared' }, 80);
      const [a, b] = await Promise.all([one.run(tenantA, 'k7', {}, c.work), two.run(tenantA, 'k7', {}, c.work)]);
      expect(c.calls()).toBe(1);
      expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    });
  });
});

describe('IdempotencyService without its store', () => {
  it('answers 503 with Retry-After when Redis cannot be reached, and never runs the work', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const sut = makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' });
      const c = counter({ token: 't' });
      for (let i = 0; i < 2; i++) {
        const err: unknown = await sut.run(tenantA, 'k-down', {}, c.work).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IdempotencyUnavailableError);
        expect((err as IdempotencyUnavailableError).getStatus()).toBe(503);
        expect((err as IdempotencyUnavailableError).headers['Retry-After']).toBe('5');
      }
      expect(c.calls()).toBe(0);
    } finally {
      down.disconnect();
    }
  });

  it('answers 503 when the in-memory store is full of in-flight requests', async () => {
    const sut = makeService(null, { IDEMPOTENCY_MEMORY_MAX_ENTRIES: '1' });
    const slow = sut.run(tenantA, 'first', {}, () => new Promise((r) => setTimeout(() => r('late'), 200)));
    await expect(sut.run(tenantA, 'second', {}, counter('x').work)).rejects.toBeInstanceOf(IdempotencyUnavailableError);
    await expect(slow).resolves.toEqual({ value: 'late', replayed: false });
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }], u: undefined })).toBe('{"a":[{"c":2,"d":1}],"b":1}');
  });
});
