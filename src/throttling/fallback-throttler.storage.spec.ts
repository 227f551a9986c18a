import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { RedisHealth } from '../redis/redis-health';
import { testConfigService } from '../../test/support/config';
import { FallbackThrottlerStorage } from './fallback-throttler.storage';
import { MemoryThrottlerStorage } from './memory-throttler.storage';

/** Enough of an ioredis client for RedisHealth: its events, its status and PING. */
function fakeClient(): EventEmitter & { status: string; options: object; ping: jest.Mock } {
  return Object.assign(new EventEmitter(), { status: 'ready', options: { host: '127.0.0.1', port: 1 }, ping: jest.fn(() => Promise.resolve('PONG')) });
}

function makeHealth(client: ReturnType<typeof fakeClient>): RedisHealth {
  const config = testConfigService({ REDIS_URL: 'redis://127.0.0.1:1' });
  return new RedisHealth(client as unknown as Redis, config);
}

describe(FallbackThrottlerStorage.name, () => {
  const healths: RedisHealth[] = [];
  afterEach(() => healths.splice(0).forEach((h) => h.onApplicationShutdown()));

  function setUp(): { sut: FallbackThrottlerStorage; shared: jest.Mocked<ThrottlerStorage>; client: ReturnType<typeof fakeClient>; health: RedisHealth } {
    const client = fakeClient();
    const health = makeHealth(client);
    healths.push(health);
    const shared = { increment: jest.fn(() => Promise.reject(new Error('Command timed out'))) } as unknown as jest.Mocked<ThrottlerStorage>;
    return { sut: new FallbackThrottlerStorage(shared, new MemoryThrottlerStorage(), health), shared, client, health };
  }

  it('answers from per-process counters when Redis fails, and still enforces the limit', async () => {
    const { sut, health } = setUp();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sut.increment('tenant:a', 60_000, 2, 60_000, 'default'));
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([[1, false], [2, false], [3, true]]);
    expect(health.mode()).toBe('degraded');
  });

  it('stops asking Redis once it failed (no request waits on a hung server), and uses it again after recovery', async () => {
    const { sut, shared, client } = setUp();
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    expect(shared.increment).toHaveBeenCalledTimes(1);

    shared.increment.mockResolvedValue({ totalHits: 7, timeToExpire: 50, isBlocked: false, timeToBlockExpire: 0 });
    client.emit('ready');
    expect((await sut.increment('tenant:a', 60_000, 10, 60_000, 'default')).totalHits).toBe(7);
    expect(shared.increment).toHaveBeenCalledTimes(2);
  });

  it('recovers from a hang without a reconnect: a background PING brings Redis back', async () => {
    const { sut, shared, client, health } = setUp();
    client.ping.mockRejectedValue(new Error('Command timed out'));
    await sut.increment('t', 60_000, 10, 60_000, 'default');
    expect(health.mode()).toBe('degraded');
    client.ping.mockResolvedValue('PONG');
    shared.increment.mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(health.mode()).toBe('shared');
    await sut.increment('t', 60_000, 10, 60_000, 'default');
    expect(shared.increment).toHaveBeenCalledTimes(2);
  });
});
