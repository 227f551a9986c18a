import Redis from 'ioredis';
import { describeWithRedis, redisForTests, redisTestPrefix, redisUrl } from '../../test/support/redis';
import { AccountHealthStore, HEALTH_TTL_MS, MemoryAccountHealthStore, RedisAccountHealthStore } from './account-health.store';

const broken = { state: 'broken' as const, since: '2026-11-02T10:00:00.000Z' };
const healthy = { state: 'healthy' as const, since: '2026-11-02T11:00:00.000Z' };

function behaves(name: string, make: () => AccountHealthStore): void {
  describe(name, () => {
    it('records a transition once, answers the previous state and since, and keeps tenants apart', async () => {
      const sut = make();
      expect(await sut.record('org_a', 'acc', 'hibob', broken)).toEqual({ previous: undefined, changed: true });
      expect(await sut.record('org_a', 'acc', 'hibob', { ...broken, since: 'later' })).toEqual({ previous: broken, changed: false });
      expect(await sut.record('org_b', 'acc', 'hibob', broken)).toEqual({ previous: undefined, changed: true });
      expect(await sut.record('org_a', 'acc', 'hibob', healthy)).toEqual({ previous: broken, changed: true });
      expect(await sut.counts()).toEqual(expect.arrayContaining([
        { state: 'broken', provider: 'hibob', count: 1 },
        { state: 'healthy', provider: 'hibob', count: 1 },
      ]));
      await sut.forget('org_b', 'acc');
      await sut.forget('org_b', 'acc');
      expect(await sut.counts()).toEqual([{ state: 'healthy', provider: 'hibob', count: 1 }]);
    });

    it('marks a re-link on a broken account only, returns it with the next observation, clears it on the transition', async () => {
      const sut = make();
      expect(await sut.markRelinked('org_a', 'rl', 'x')).toBe(false);
      await sut.record('org_a', 'rl', 'hibob', healthy);
      expect(await sut.markRelinked('org_a', 'rl', 'x')).toBe(false);
      await sut.record('org_a', 'rl', 'hibob', broken);
      expect(await sut.markRelinked('org_a', 'rl', '2026-11-02T10:30:00.000Z')).toBe(true);
      expect(await sut.record('org_a', 'rl', 'hibob', broken)).toEqual({ previous: { ...broken, relinkedAt: '2026-11-02T10:30:00.000Z' }, changed: false });
      expect(await sut.record('org_a', 'rl', 'hibob', healthy)).toEqual({ previous: { ...broken, relinkedAt: '2026-11-02T10:30:00.000Z' }, changed: true });
      await sut.record('org_a', 'rl', 'hibob', broken);
      expect(await sut.record('org_a', 'rl', 'hibob', broken)).toEqual({ previous: broken, changed: false });
    });

    it('a complete reading replaces the counts', async () => {
      const sut = make();
      await sut.record('org_a', 'gone', 'hibob', broken);
      await sut.replaceCounts([{ state: 'healthy', provider: 'greenhouse', count: 3 }]);
      expect(await sut.counts()).toEqual([{ state: 'healthy', provider: 'greenhouse', count: 3 }]);
      await sut.replaceCounts([]);
      expect(await sut.counts()).toEqual([]);
    });

    it('of many concurrent callers on one transition, exactly one wins', async () => {
      const sut = make();
      const results = await Promise.all(Array.from({ length: 10 }, () => sut.record('org_a', 'race', 'hibob', broken)));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
    });
  });
}

behaves('MemoryAccountHealthStore', () => new MemoryAccountHealthStore());

describeWithRedis(RedisAccountHealthStore.name, () => {
  const redis = redisForTests({ maxRetriesPerRequest: 1 });
  behaves('shared through Redis', () => new RedisAccountHealthStore(redis(), redisTestPrefix()));

  it('two stores on one prefix (two replicas, own connections): one winner, and the entry carries a TTL', async () => {
    const shared = redisTestPrefix();
    const other = new Redis(redisUrl as string, { maxRetriesPerRequest: 1 });
    try {
      const one = new RedisAccountHealthStore(redis(), shared);
      const two = new RedisAccountHealthStore(other, shared);
      const results = await Promise.all([one.record('org_a', 'acc', 'hibob', broken), two.record('org_a', 'acc', 'hibob', broken), one.record('org_a', 'acc', 'hibob', broken)]);
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      const ttl = await redis().pttl(`${shared}health:5:org_a:acc`);
      expect(ttl).toBeGreaterThan(HEALTH_TTL_MS - 60_000);
      expect(ttl).toBeLessThanOrEqual(HEALTH_TTL_MS);
    } finally {
      await other.quit();
    }
  });
});
