import { CallHandler, ExecutionContext, NestInterceptor, UnprocessableEntityException } from '@nestjs/common';
import { IsOptional, IsString } from 'class-validator';
import { Redis } from 'ioredis';
import { lastValueFrom, Observable, of } from 'rxjs';
import { Tenant } from '../auth/tenant';
import { RequestValidationError } from '../common/request-validation.error';
import { testState } from '../../test/support/state';
import { IDEMPOTENCY_STORE } from './idempotency.store';
import { redisTestPrefix } from '../../test/support/redis';
import { idempotencyInterceptor, IdempotentOptions } from './idempotency.interceptor';
import { IdempotencyService, IdempotencyUnavailableError } from './idempotency.service';

class BodyDto {
  @IsOptional()
  @IsString()
  provider?: string;
}

interface Answer {
  token: string;
}

const tenant: Tenant = { id: 'org_interceptor', name: 'I', via: 'jwt', principal: 'u' };

function makeService(redis: Redis | null = null, env: Record<string, string> = {}): IdempotencyService {
  const { config, store } = testState({ STACKONE_TIMEOUT_MS: '500', REDIS_KEY_PREFIX: redisTestPrefix(), ...env }, redis);
  return new IdempotencyService(config, store(IDEMPOTENCY_STORE));
}

function makeSut(service: IdempotencyService, options: Partial<IdempotentOptions<Answer>> = {}): NestInterceptor<Answer, Answer> {
  const Interceptor = idempotencyInterceptor<Answer>({ body: BodyDto, ...options });
  return new Interceptor(service) as NestInterceptor<Answer, Answer>;
}

/** A request as the route sees it, its reply's headers, and a handler that counts its runs. */
function call(body: unknown, key?: string): { context: ExecutionContext; headers: Record<string, string>; handler: CallHandler<Answer>; runs: () => number } {
  const headers: Record<string, string> = {};
  const reply = { header: (name: string, value: string) => ((headers[name] = value), reply) };
  const request = { headers: key === undefined ? {} : { 'idempotency-key': key }, body, tenant };
  let runs = 0;
  const context = { switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }) } as unknown as ExecutionContext;
  const handler: CallHandler<Answer> = {
    handle: (): Observable<Answer> => {
      runs += 1;
      return of({ token: `t${runs}` });
    },
  };
  return { context, headers, handler, runs: () => runs };
}

async function answer(sut: NestInterceptor<Answer, Answer>, c: ReturnType<typeof call>): Promise<Answer> {
  return lastValueFrom(await (sut.intercept(c.context, c.handler) as Promise<Observable<Answer>>));
}

describe('idempotencyInterceptor', () => {
  it('passes a request without Idempotency-Key straight to the handler, storing nothing', async () => {
    const sut = makeSut(makeService());
    const plain = call({ provider: 'hibob' });
    await expect(answer(sut, plain)).resolves.toEqual({ token: 't1' });
    expect(plain.runs()).toBe(1);
    const keyed = call({ provider: 'hibob' }, 'after-plain');
    await expect(answer(sut, keyed)).resolves.toEqual({ token: 't1' });
    expect(keyed.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays the first answer with Idempotent-Replayed: true and does not run the handler again', async () => {
    const sut = makeSut(makeService());
    const first = call({ provider: 'hibob' }, 'k-replay');
    const second = call({ provider: 'hibob' }, 'k-replay');
    await expect(answer(sut, first)).resolves.toEqual({ token: 't1' });
    await expect(answer(sut, second)).resolves.toEqual({ token: 't1' });
    expect(first.headers).toEqual({});
    expect(second.headers).toEqual({ 'idempotent-replayed': 'true' });
    expect(second.runs()).toBe(0);
  });

  it('answers 422 for another body under the same key, and 400 for a malformed key', async () => {
    const sut = makeSut(makeService());
    await answer(sut, call({ provider: 'hibob' }, 'k-422'));
    await expect(answer(sut, call({ provider: 'greenhouse' }, 'k-422'))).rejects.toBeInstanceOf(UnprocessableEntityException);
    await expect(answer(sut, call({}, 'has space'))).rejects.toBeInstanceOf(RequestValidationError);
  });

  it('fingerprints the validated body: no body and {} are the same request', async () => {
    const sut = makeSut(makeService());
    await answer(sut, call(undefined, 'k-empty'));
    const again = call({}, 'k-empty');
    await answer(sut, again);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('caps the replay with replayForMs (the session expiry)', async () => {
    const sut = makeSut(makeService(), { replayForMs: (value) => (value.token === 't1' ? 50 : 60_000) });
    await answer(sut, call({}, 'k-cap'));
    await new Promise((r) => setTimeout(r, 120));
    const later = call({}, 'k-cap');
    await expect(answer(sut, later)).resolves.toEqual({ token: 't1' });
    expect(later.runs()).toBe(1);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
  });

  describe('with the store unreachable', () => {
    let down: Redis;
    beforeAll(() => {
      down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      down.on('error', () => undefined);
    });
    afterAll(() => down.disconnect());

    it('answers 503 with Retry-After and never runs the handler', async () => {
      const sut = makeSut(makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' }));
      const c = call({ provider: 'hibob' }, 'k-down');
      const err: unknown = await answer(sut, c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IdempotencyUnavailableError);
      expect((err as IdempotencyUnavailableError).headers['Retry-After']).toBe('5');
      expect(c.runs()).toBe(0);
    });

    it('still answers 400 for an invalid body: the body is validated before the store is asked', async () => {
      const sut = makeSut(makeService(down, { REDIS_URL: 'redis://127.0.0.1:1' }));
      const c = call({ provider: 7, extra: true }, 'k-down-invalid');
      const err: unknown = await answer(sut, c).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestValidationError);
      expect((err as RequestValidationError).errors.map((e) => e.field).sort()).toEqual(['extra', 'provider']);
      expect(c.runs()).toBe(0);
    });
  });
});
