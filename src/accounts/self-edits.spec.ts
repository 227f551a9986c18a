import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { testConfigService } from '../../test/support/config';
import { describeWithRedis, redisForTests, redisTestPrefix } from '../../test/support/redis';
import type { RedisHealth } from '../redis/redis-health';
import { MemorySelfEditStore, RedisSelfEditStore, SELF_EDIT_MARGIN_MS, SelfEdits, SelfEditStore } from './self-edits';

const T0 = 1_800_000_000_000;

function contract(make: () => SelfEditStore): void {
  it('covers an event dated inside a window, widened by the margin, and nothing outside it', async () => {
    const sut = make();
    await sut.put('5:org_1:acc_1', { id: 'a', fromMs: T0, untilMs: T0 + 1_000 }, Date.now() + 60_000);
    expect(await sut.covers('5:org_1:acc_1', T0 + 500, 0)).toBe(true);
    expect(await sut.covers('5:org_1:acc_1', T0 - 1, 0)).toBe(false);
    expect(await sut.covers('5:org_1:acc_1', T0 + 1_001, 0)).toBe(false);
    expect(await sut.covers('5:org_1:acc_1', T0 - 2_000, 2_000)).toBe(true);
    expect(await sut.covers('5:org_1:acc_1', T0 + 3_000, 2_000)).toBe(true);
    expect(await sut.covers('5:org_1:acc_1', T0 + 3_001, 2_000)).toBe(false);
    // Another account, or the same account id of another tenant: not covered.
    expect(await sut.covers('5:org_1:acc_2', T0 + 500, 0)).toBe(false);
    expect(await sut.covers('5:org_2:acc_1', T0 + 500, 0)).toBe(false);
  });

  it('narrows a window by its id (the answer came), and keeps the windows of other edits of the account', async () => {
    const sut = make();
    const keep = Date.now() + 60_000;
    await sut.put('k', { id: 'a', fromMs: T0, untilMs: T0 + 10_000 }, keep);
    await sut.put('k', { id: 'b', fromMs: T0 + 60_000, untilMs: T0 + 61_000 }, keep);
    await sut.put('k', { id: 'a', fromMs: T0, untilMs: T0 + 1_000 }, keep);
    expect(await sut.covers('k', T0 + 5_000, 0)).toBe(false);
    expect(await sut.covers('k', T0 + 500, 0)).toBe(true);
    expect(await sut.covers('k', T0 + 60_500, 0)).toBe(true);
  });
}

describe(MemorySelfEditStore.name, () => {
  contract(() => new MemorySelfEditStore());

  it('stays within its bound: the account edited least recently goes first', async () => {
    const sut = new MemorySelfEditStore(2);
    const keep = Date.now() + 60_000;
    for (const key of ['a', 'b', 'c']) await sut.put(key, { id: key, fromMs: T0, untilMs: T0 + 1_000 }, keep);
    expect(await sut.covers('a', T0, 0)).toBe(false);
    expect(await sut.covers('b', T0, 0)).toBe(true);
    expect(await sut.covers('c', T0, 0)).toBe(true);
  });

  it('forgets an account once its windows are past keeping', async () => {
    const sut = new MemorySelfEditStore();
    await sut.put('a', { id: 'a', fromMs: T0, untilMs: T0 + 1_000 }, Date.now() - 1);
    expect(await sut.covers('a', T0, 0)).toBe(false);
  });
});

describeWithRedis(RedisSelfEditStore.name, () => {
  const redis = redisForTests();
  contract(() => new RedisSelfEditStore(redis(), redisTestPrefix()));

  it('keeps one sorted set per account under the prefix, with a TTL', async () => {
    const prefix = redisTestPrefix();
    await new RedisSelfEditStore(redis(), prefix).put('5:org_1:acc_1', { id: 'a', fromMs: T0, untilMs: T0 + 1_000 }, Date.now() + 60_000);
    const key = `${prefix}self-edit:5:org_1:acc_1`;
    expect(await redis().zrange(key, 0, -1, 'WITHSCORES')).toEqual([`${T0}:a`, String(T0 + 1_000)]);
    const ttl = await redis().pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe(SelfEdits.name, () => {
  const health = (available: boolean): RedisHealth =>
    ({
      available: () => available,
      failed: jest.fn(),
      fellBack: jest.fn(),
      attempt: async <R>(_use: string, inRedis: boolean, op: () => Promise<R>) => {
        if (inRedis && !available) return { ok: false, reason: 'Redis degraded' };
        try {
          return { ok: true, value: await op() };
        } catch (err) {
          return { ok: false, reason: (err as Error).message };
        }
      },
    }) as unknown as RedisHealth;

  it('in memory: an edit is ours from just before the PATCH until its answer, within the margin', async () => {
    const sut = new SelfEdits(testConfigService(), null, health(false));
    const before = Date.now();
    const edit = await sut.begin('org_1', 'acc_1');
    expect(await sut.madeHere('org_1', 'acc_1', Date.now())).toBe(true);
    await edit.answered();
    const after = Date.now();
    expect(await sut.madeHere('org_1', 'acc_1', after + SELF_EDIT_MARGIN_MS)).toBe(true);
    // A hub edit of the same account a little later is not ours.
    expect(await sut.madeHere('org_1', 'acc_1', after + SELF_EDIT_MARGIN_MS + 1)).toBe(false);
    expect(await sut.madeHere('org_1', 'acc_1', before - SELF_EDIT_MARGIN_MS - 1)).toBe(false);
    expect(await sut.madeHere('org_2', 'acc_1', after)).toBe(false);
  });

  it('until the answer, the window runs to the PATCH deadline (STACKONE_TIMEOUT_MS)', async () => {
    const sut = new SelfEdits(testConfigService({ STACKONE_TIMEOUT_MS: '30000' }), null, health(false));
    await sut.begin('org_1', 'acc_1');
    expect(await sut.madeHere('org_1', 'acc_1', Date.now() + 30_000)).toBe(true);
    expect(await sut.madeHere('org_1', 'acc_1', Date.now() + 30_000 + SELF_EDIT_MARGIN_MS + 1_000)).toBe(false);
  });

  it('when Redis cannot take the mark, the PATCH goes ahead: the mark is kept in memory, with a warn line', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const failing = { multi: () => ({ zadd: () => failing.multi(), zremrangebyscore: () => failing.multi(), pexpire: () => failing.multi(), exec: () => Promise.reject(new Error('Command timed out')) }) };
    const sut = new SelfEdits(testConfigService(), failing as unknown as Redis, health(true));
    const edit = await sut.begin('org_1', 'acc_1');
    await edit.answered();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("Edit of account acc_1 marked in this replica's memory only (Command timed out)"));
    // This replica still knows the edit is its own, without asking Redis.
    expect(await sut.madeHere('org_1', 'acc_1', Date.now())).toBe(true);
    warn.mockRestore();
  });
});
