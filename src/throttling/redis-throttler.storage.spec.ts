import { describeWithRedis, redisForTests, redisTestPrefix } from '../../test/support/redis';
import { RedisThrottlerStorage } from './redis-throttler.storage';

describeWithRedis(RedisThrottlerStorage.name, () => {
  const redis = redisForTests();

  it('counts hits in a window and blocks past the limit with a time to wait', async () => {
    const sut = new RedisThrottlerStorage(redis(), redisTestPrefix());
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await sut.increment('tenant:a', 60_000, 3, 60_000, 'default'));
    expect(results.map((r) => r.totalHits)).toEqual([1, 2, 3, 4]);
    expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
    expect(results[3].timeToBlockExpire).toBeGreaterThan(55);
    expect(results[0].timeToExpire).toBeGreaterThan(55);
  });

  it('shares one budget between two storages (two replicas) and keeps tenants apart', async () => {
    const prefix = redisTestPrefix();
    const one = new RedisThrottlerStorage(redis(), prefix);
    const two = new RedisThrottlerStorage(redis(), prefix);
    await one.increment('tenant:a', 60_000, 2, 60_000, 'default');
    await two.increment('tenant:a', 60_000, 2, 60_000, 'default');
    expect((await one.increment('tenant:a', 60_000, 2, 60_000, 'default')).isBlocked).toBe(true);
    expect((await two.increment('tenant:b', 60_000, 2, 60_000, 'default')).isBlocked).toBe(false);
  });

  it('forgets the window after its ttl', async () => {
    const sut = new RedisThrottlerStorage(redis(), redisTestPrefix());
    await sut.increment('t', 100, 1, 100, 'default');
    expect((await sut.increment('t', 100, 1, 100, 'default')).isBlocked).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    const after = await sut.increment('t', 100, 1, 100, 'default');
    expect(after).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
