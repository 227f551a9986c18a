import { describeWithRedis, redisForTests, redisTestPrefix, scanKeys } from '../../test/support/redis';
import { EventLogStore, MemoryEventLogStore, RedisEventLogStore } from './event-log.store';
import { compareIds, NewFeedEvent } from './feed-event';

const DAY = 86_400_000;
const event = (tenantId: string, accountId: string): NewFeedEvent => ({
  type: 'account.created',
  timestamp: '2026-11-25T10:00:00.000Z',
  data: { tenantId, accountId, provider: 'hibob' },
});
const accounts = (events: Array<{ data: { accountId?: string } }>): Array<string | undefined> => events.map((e) => e.data.accountId);

/** The same behaviour from both stores. */
function behaves(name: string, make: (retentionMs?: number) => EventLogStore): void {
  describe(name, () => {
    it('appends events with increasing ids and reads them oldest first, after a cursor and up to a limit', async () => {
      const sut = make();
      const ids: string[] = [];
      for (const id of ['a1', 'a2', 'a3', 'a4', 'a5']) ids.push(await sut.append('org_1', event('org_1', id)));
      for (let i = 1; i < ids.length; i++) expect(compareIds(ids[i - 1], ids[i])).toBe(-1);

      const all = await sut.read('org_1', undefined, 50);
      expect(all.map((e) => e.id)).toEqual(ids);
      expect(all[0]).toEqual({ id: ids[0], ...event('org_1', 'a1') });
      expect(accounts(await sut.read('org_1', undefined, 2))).toEqual(['a1', 'a2']);
      expect(accounts(await sut.read('org_1', ids[1], 2))).toEqual(['a3', 'a4']);
      expect(accounts(await sut.read('org_1', ids[4], 10))).toEqual([]);
      // A cursor between ids (or from before any) reads from the next one.
      expect(accounts(await sut.read('org_1', '1-0', 1))).toEqual(['a1']);
    });

    it("keeps tenants apart: one tenant's reads never list another's events", async () => {
      const sut = make();
      await sut.append('org_1', event('org_1', 'mine'));
      const theirs = await sut.append('org_2', event('org_2', 'theirs'));
      expect(accounts(await sut.read('org_1', undefined, 50))).toEqual(['mine']);
      expect(accounts(await sut.read('org_2', undefined, 50))).toEqual(['theirs']);
      expect(accounts(await sut.read('org_3', undefined, 50))).toEqual([]);
      // Another tenant's id as cursor gives nothing of theirs either.
      expect(accounts(await sut.read('org_3', '0-0', 50))).toEqual([]);
      expect(theirs).toMatch(/^\d+-\d+$/);
    });

    it('drops events older than the retention', async () => {
      const sut = make(400);
      const old = await sut.append('org_1', event('org_1', 'old'));
      await new Promise((r) => setTimeout(r, 250));
      // A newer event keeps the log itself alive (in Redis it refreshes the key's TTL).
      await sut.append('org_1', event('org_1', 'new'));
      await new Promise((r) => setTimeout(r, 250));
      expect(accounts(await sut.read('org_1', undefined, 50))).toEqual(['new']);
      expect(accounts(await sut.read('org_1', old, 50))).toEqual(['new']);
    });
  });
}

behaves('MemoryEventLogStore', (retentionMs = DAY) => new MemoryEventLogStore(retentionMs, 1_000));

describe('MemoryEventLogStore bounds', () => {
  it('keeps at most maxEntries events of all tenants, dropping the oldest first', async () => {
    const sut = new MemoryEventLogStore(DAY, 3);
    await sut.append('org_1', event('org_1', 'a1'));
    await sut.append('org_2', event('org_2', 'b1'));
    await sut.append('org_1', event('org_1', 'a2'));
    await sut.append('org_2', event('org_2', 'b2'));
    expect(sut.size()).toBe(3);
    expect(accounts(await sut.read('org_1', undefined, 50))).toEqual(['a2']);
    expect(accounts(await sut.read('org_2', undefined, 50))).toEqual(['b1', 'b2']);
  });

  it('keeps at most the per-tenant bound of one tenant, without touching the others', async () => {
    const sut = new MemoryEventLogStore(DAY, 100, 2);
    await sut.append('org_2', event('org_2', 'b1'));
    for (const id of ['a1', 'a2', 'a3']) await sut.append('org_1', event('org_1', id));
    expect(accounts(await sut.read('org_1', undefined, 50))).toEqual(['a2', 'a3']);
    expect(accounts(await sut.read('org_2', undefined, 50))).toEqual(['b1']);
    expect(sut.size()).toBe(3);
  });
});

describeWithRedis('RedisEventLogStore', () => {
  const redis = redisForTests();
  behaves('on Redis', (retentionMs = DAY) => {
    const prefix = redisTestPrefix();
    return new RedisEventLogStore(redis(), prefix, retentionMs);
  });

  it('keeps one stream per tenant under the prefix, expiring a retention after the last event', async () => {
    const prefix = redisTestPrefix();
    const sut = new RedisEventLogStore(redis(), prefix, DAY);
    await sut.append('org_1', event('org_1', 'a1'));
    await sut.append('org_2', event('org_2', 'b1'));
    const keys = (await scanKeys(redis(), `${prefix}*`)).sort();
    expect(keys).toEqual([`${prefix}events:5:org_1`, `${prefix}events:5:org_2`]);
    const ttl = await redis().pttl(keys[0]);
    expect(ttl).toBeGreaterThan(DAY - 60_000);
    expect(ttl).toBeLessThanOrEqual(DAY);
  });
});
