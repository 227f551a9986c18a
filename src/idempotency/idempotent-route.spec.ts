import { UnprocessableEntityException } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { Redis } from 'ioredis';
import { Tenant } from '../auth/tenant';
import { createValidationPipe, RequestValidationError } from '../common/request-validation.error';
import { testState } from '../../test/support/state';
import { IDEMPOTENCY_STORE } from './idempotency.store';
import { redisTestPrefix } from '../../test/support/redis';
import { IdempotencyService, IdempotencyUnavailableError } from './idempotency.service';
import type { IdempotencyHeaders } from './idempotent.decorator';

interface Answer {
  token: string;
}

const tenant: Tenant = { id: 'org_idempotent_route', name: 'I', via: 'jwt', principal: 'u' };

function makeService(redis: Redis | null = null, env: Record<string, string> = {}): IdempotencyService {
  const { config, store } = testState({ STACKONE_TIMEOUT_MS: '500', REDIS_KEY_PREFIX: redisTestPrefix(), ...env }, redis);
  return new IdempotencyService(config, store(IDEMPOTENCY_STORE));
}

/** A retry-safe route's request: its Idempotency-Key, whether the answer was marked replayed, and a handler that counts its runs. */
function request(key?: string): { headers: IdempotencyHeaders; replayed: () => boolean; work: () => Promise<Answer>; runs: () => number } {
  let marked = false;
  let runs = 0;
  return {
    headers: { key, markReplayed: () => void (marked = true) },
    replayed: () => marked,
    work: () => {
      runs += 1;
      return Promise.resolve({ token: `t${runs}` });
    },
    runs: () => runs,
  };
}

const respond = (sut: IdempotencyService, r: ReturnType<typeof request>, body: unknown, cap?: (a: Answer) => number): Promise<Answer> =>
  sut.respond(tenant, r.headers, body, r.work, cap);

class BodyDto {
  @IsOptional()
  @IsString()
  provider?: string;
}

const pipe = createValidationPipe();

/** As the route runs it: the global ValidationPipe on the raw body first, then respond with the validated body. */
async function route(sut: IdempotencyService, r: ReturnType<typeof request>, rawBody: unknown): Promise<Answer> {
  const body: unknown = await pipe.transform(rawBody, { type: 'body', metatype: BodyDto });
  return respond(sut, r, body);
}

describe('IdempotencyService.respond (a retry-safe route, e.g. POST /v1/connect-sessions)', () => {
  it('runs a request without Idempotency-Key as is, storing nothing', async () => {
    const sut = makeService();
    const plain = request();
    await expect(respond(sut, plain, { provider: 'hibob' })).resolves.toEqual({ token: 't1' });
    expect(plain.runs()).toBe(1);
    const keyed = request('after-plain');
    await expect(respond(sut, keyed, { provider: 'hibob' })).resolves.toEqual({ token: 't1' });
    expect(keyed.runs()).toBe(1);
    expect(keyed.replayed()).toBe(false);
  });

  it('replays the first answer, marked replayed, without running the handler again', async () => {
    const sut = makeService();
    const first = request('k-replay');
    const second = request('k-replay');
    await expect(respond(sut, first, { provider: 'hibob' })).resolves.toEqual({ token: 't1' });
    await expect(respond(sut, second, { provider: 'hibob' })).resolves.toEqual({ token: 't1' });
    expect(first.replayed()).toBe(false);
    expect(second.replayed()).toBe(true);
    expect(second.runs()).toBe(0);
  });

  it('answers 422 for another body under the same key, and 400 for a malformed key', async () => {
    const sut = makeService();
    await respond(sut, request('k-422'), { provider: 'hibob' });
    await expect(respond(sut, request('k-422'), { provider: 'greenhouse' })).rejects.toBeInstanceOf(UnprocessableEntityException);
    const malformed = request('has space');
    await expect(respond(sut, malformed, {})).rejects.toBeInstanceOf(RequestValidationError);
    expect(malformed.runs()).toBe(0);
  });

  it('fingerprints the validated body: no body and {} are the same request', async () => {
    const sut = makeService();
    await route(sut, request('k-empty'), undefined);
    const again = request('k-empty');
    await route(sut, again, {});
    expect(again.replayed()).toBe(true);
    expect(again.runs()).toBe(0);
  });

  it('caps the replay with the route\'s ttl cap (the session expiry)', async () => {
    const sut = makeService();
    const cap = (value: Answer): number => (value.token === 't1' ? 50 : 60_000);
    await respond(sut, request('k-cap'), {}, cap);
    await new Promise((r) => setTimeout(r, 120));
    const later = request('k-cap');
    await expect(respond(sut, later, {}, cap)).resolves.toEqual({ token: 't1' });
    expect(later.runs()).toBe(1);
    expect(later.replayed()).toBe(false);
  });

  describe('with the store unreachable', () => {
    let down: Redis;
    beforeAll(() => {
      down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      down.on('error', () => undefined);
    });
    afterAll(() => down.disconnect());

    it('answers 503 with Retry-After and never runs the handler', async () => {
      const sut = makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' });
      const r = request('k-down');
      const err: unknown = await respond(sut, r, { provider: 'hibob' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdempotencyUnavailableError);
      expect((err as IdempotencyUnavailableError).headers['Retry-After']).toBe('5');
      expect(r.runs()).toBe(0);
    });

    it('still answers 400 for an invalid body: the body is validated before the store is asked', async () => {
      const sut = makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' });
      const r = request('k-down-invalid');
      const err: unknown = await route(sut, r, { provider: 7, extra: true }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestValidationError);
      expect((err as RequestValidationError).errors.map((e) => e.field).sort()).toEqual(['extra', 'provider']);
      expect(r.runs()).toBe(0);
    });

    it('still runs a request without a key', async () => {
      const sut = makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' });
      const r = request();
      await expect(respond(sut, r, {})).resolves.toEqual({ token: 't1' });
    });
  });
});
