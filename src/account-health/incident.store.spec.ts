import { describeWithRedis, redisForTests, redisTestPrefix } from '../../test/support/redis';
import { IncidentStore, MemoryIncidentStore, RedisIncidentStore } from './incident.store';

const WINDOW = 900_000;
const t0 = 1_764_000_000_000;

function behaves(name: string, make: () => IncidentStore): void {
  describe(name, () => {
    it('counts accounts and distinct tenants per provider within the window (tenant ids with colons kept apart)', async () => {
      const sut = make();
      await sut.broke('hibob', 'org:1', 'a', t0, WINDOW);
      await sut.broke('hibob', 'org:1', 'b', t0 + 1, WINDOW);
      await sut.broke('hibob', 'org', '1:c', t0 + 2, WINDOW);
      expect(await sut.broke('hibob', 'org:1', 'a', t0 + 3, WINDOW)).toEqual({ accounts: 3, tenants: 2 });
      expect(await sut.count('greenhouse', t0, WINDOW)).toEqual({ accounts: 0, tenants: 0 });
      expect(await sut.count('hibob', t0 + WINDOW + 1, WINDOW)).toEqual({ accounts: 2, tenants: 2 });
      expect(await sut.count('hibob', t0 + WINDOW + 3, WINDOW)).toEqual({ accounts: 0, tenants: 0 });
    });

    it('opens and closes once', async () => {
      const sut = make();
      expect([await sut.open('hibob', t0), await sut.open('hibob', t0)]).toEqual([true, false]);
      expect(await sut.openProviders()).toEqual(['hibob']);
      expect([await sut.close('hibob'), await sut.close('hibob')]).toEqual([true, false]);
      expect(await sut.openProviders()).toEqual([]);
    });
  });
}

behaves('MemoryIncidentStore', () => new MemoryIncidentStore());

describeWithRedis(RedisIncidentStore.name, () => {
  const redis = redisForTests({ maxRetriesPerRequest: 1 });
  behaves('shared through Redis', () => new RedisIncidentStore(redis(), redisTestPrefix()));
});
