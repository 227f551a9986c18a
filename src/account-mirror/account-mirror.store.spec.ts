import { describeWithRedis, redisForTests, redisTestPrefix, scanKeys } from '../../test/support/redis';
import { AccountMirrorStore, MAX_ACCOUNTS_PER_ENTRY, MemoryAccountMirrorStore, MirroredAccount, previewFrom, RedisAccountMirrorStore } from './account-mirror.store';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-11-01T00:00:00.000Z');
const acc = (id: string, minutes: number, status = 'active'): MirroredAccount => ({ id, status, createdAtMs: t0 + minutes * 60_000 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The same behaviour from both stores: one shared by replicas through Redis, one in memory. */
function behaves(name: string, make: () => AccountMirrorStore): void {
  describe(name, () => {
    let sut: AccountMirrorStore;
    beforeEach(() => {
      sut = make();
    });
    const preview = async (tenant = 'org_1', provider = 'hibob'): Promise<string | null | undefined> => {
      const found = previewFrom(await sut.read(tenant, provider));
      return found === null ? null : found?.id;
    };

    it('knows nothing at first, then answers from a stored complete answer: the newest account, or none', async () => {
      expect(await sut.read('org_1', 'hibob')).toBeUndefined();
      expect(await sut.replace('org_1', 'hibob', 0, [acc('old', 1), acc('new', 5), acc('mid', 3)], HOUR)).toBe(true);
      expect(await preview()).toBe('new');
      expect(await sut.replace('org_1', 'workday', 0, [], HOUR)).toBe(true);
      expect(await preview('org_1', 'workday')).toBeNull();
      // Other tenants and providers are other entries.
      expect(await preview('org_2', 'hibob')).toBeUndefined();
      expect(await preview('org_1', 'greenhouse')).toBeUndefined();
    });

    it('turns a negative entry into the created account, and back to none when it is deleted', async () => {
      await sut.replace('org_1', 'hibob', 0, [], HOUR);
      await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: 'a1', createdAtMs: t0 }, HOUR);
      expect(await preview()).toBe('a1');
      await sut.apply('org_1', 'hibob', { type: 'account.deleted', accountId: 'a1' }, HOUR);
      expect(await preview()).toBeNull();
    });

    it('after deleting the newest of several, names the next newest, never "none" while others remain', async () => {
      await sut.replace('org_1', 'hibob', 0, [acc('a', 1), acc('b', 2)], HOUR);
      await sut.apply('org_1', 'hibob', { type: 'account.deleted', accountId: 'b' }, HOUR);
      expect(await preview()).toBe('a');
    });

    it('without a complete answer, trusts a created event as the newest, and stops knowing once that one is deleted', async () => {
      await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: 'late', createdAtMs: t0 + 10 }, HOUR);
      expect(await preview()).toBe('late');
      // An older creation delivered later does not displace it.
      await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: 'early', createdAtMs: t0 }, HOUR);
      expect(await preview()).toBe('late');
      await sut.apply('org_1', 'hibob', { type: 'account.deleted', accountId: 'late' }, HOUR);
      // Other accounts may exist that the mirror never saw: unknown, not "none".
      expect(await preview()).toBeUndefined();
      // A deletion alone never makes a negative entry either.
      await sut.apply('org_1', 'greenhouse', { type: 'account.deleted', accountId: 'x' }, HOUR);
      expect(await preview('org_1', 'greenhouse')).toBeUndefined();
    });

    it('treats an update of an account it never saw as proof it missed one: the entry stops answering', async () => {
      await sut.replace('org_1', 'hibob', 0, [], HOUR);
      await sut.apply('org_1', 'hibob', { type: 'account.updated', accountId: 'unseen' }, HOUR);
      expect(await preview()).toBeUndefined();
    });

    it('refuses to store an answer fetched before an event changed the entry', async () => {
      const seen = (await sut.read('org_1', 'hibob'))?.version ?? 0;
      await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: 'a1', createdAtMs: t0 }, HOUR);
      expect(await sut.replace('org_1', 'hibob', seen, [], HOUR)).toBe(false);
      expect(await preview()).toBe('a1');
      const now = (await sut.read('org_1', 'hibob'))?.version ?? -1;
      expect(await sut.replace('org_1', 'hibob', now, [acc('a1', 0), acc('a0', -5)], HOUR)).toBe(true);
      expect(await preview()).toBe('a1');
    });

    it('refreshes accounts seen in answers only in entries that exist, and keeps status', async () => {
      await sut.observe('org_1', [{ ...acc('a1', 0), provider: 'hibob' }]);
      expect(await sut.read('org_1', 'hibob')).toBeUndefined();
      await sut.replace('org_1', 'hibob', 0, [acc('a1', 0, 'active')], HOUR);
      await sut.observe('org_1', [
        { ...acc('a1', 0, 'error'), provider: 'hibob' },
        { ...acc('a2', 9, 'active'), provider: 'hibob' },
      ]);
      const read = await sut.read('org_1', 'hibob');
      expect(read?.accounts.sort((a, b) => a.id.localeCompare(b.id))).toEqual([acc('a1', 0, 'error'), acc('a2', 9, 'active')]);
      expect(await preview()).toBe('a2');
    });

    it('forgets an entry after its TTL, which events do not extend', async () => {
      await sut.replace('org_1', 'hibob', 0, [], 300);
      await sleep(150);
      await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: 'a1', createdAtMs: t0 }, 300);
      expect(await preview()).toBe('a1');
      await sleep(250);
      expect(await sut.read('org_1', 'hibob')).toBeUndefined();
    });

    it('drops an entry that outgrows its bound rather than keep a partial set as complete', async () => {
      await sut.replace('org_1', 'hibob', 0, [], HOUR);
      for (let i = 0; i <= MAX_ACCOUNTS_PER_ENTRY; i++) {
        await sut.apply('org_1', 'hibob', { type: 'account.created', accountId: `a${i}`, createdAtMs: t0 + i }, HOUR);
      }
      expect(await preview()).toBeUndefined();
      expect(await sut.replace('org_1', 'hibob', 0, Array.from({ length: MAX_ACCOUNTS_PER_ENTRY + 1 }, (_, i) => acc(`b${i}`, i)), HOUR)).toBe(false);
    });

    it('forget drops the entry', async () => {
      await sut.replace('org_1', 'hibob', 0, [], HOUR);
      await sut.forget('org_1', 'hibob');
      expect(await sut.read('org_1', 'hibob')).toBeUndefined();
    });
  });
}

behaves(MemoryAccountMirrorStore.name, () => new MemoryAccountMirrorStore(1_000));

describe(`${MemoryAccountMirrorStore.name} bounds`, () => {
  it('holds at most its bound of entries, dropping the oldest', async () => {
    const sut = new MemoryAccountMirrorStore(3);
    for (const p of ['p1', 'p2', 'p3', 'p4']) await sut.replace('org_1', p, 0, [], HOUR);
    expect(sut.size()).toBe(3);
    expect(await sut.read('org_1', 'p1')).toBeUndefined();
    expect(await sut.read('org_1', 'p4')).toMatchObject({ complete: true, accounts: [] });
  });
});

describeWithRedis(RedisAccountMirrorStore.name, () => {
  const redis = redisForTests({ maxRetriesPerRequest: 1 });
  behaves('shared through Redis', () => new RedisAccountMirrorStore(redis(), redisTestPrefix()));

  it("two stores on one prefix (two replicas) see each other's entries", async () => {
    const shared = redisTestPrefix();
    const one = new RedisAccountMirrorStore(redis(), shared);
    const two = new RedisAccountMirrorStore(redis(), shared);
    await one.replace('org_1', 'hibob', 0, [], HOUR);
    await two.apply('org_1', 'hibob', { type: 'account.created', accountId: 'a1', createdAtMs: t0 }, HOUR);
    expect(previewFrom(await one.read('org_1', 'hibob'))?.id).toBe('a1');
    expect(await scanKeys(redis(), `${shared}*`)).toEqual([`${shared}mirror:5:org_1:hibob`]);
  });
});
