import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { describeWithRedis, redisForTests, redisTestPrefix } from '../../test/support/redis';
import { EventEmitter } from 'node:events';
import { testState, TestState } from '../../test/support/state';
import { MemorySelfEditStore, RedisSelfEditStore, SELF_EDIT_MARGIN_MS, SELF_EDIT_STORE, SelfEdits, SelfEditStore } from './self-edits';

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
  const states: TestState[] = [];
  afterEach(() => states.splice(0).forEach((s) => s.close()));
  /** SelfEdits as the app builds it: its store from the state layer over `redis` (null: memory). */
  const build = (env: Record<string, string>, redis: Redis | null): SelfEdits => {
    const state = testState(env, redis);
    states.push(state);
    return new SelfEdits(state.config, state.store(SELF_EDIT_STORE));
  };

  it('in memory: an edit is ours from just before the PATCH until its answer, within the margin', async () => {
    const sut = build({}, null);
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
    const sut = build({ STACKONE_TIMEOUT_MS: '30000' }, null);
    await sut.begin('org_1', 'acc_1');
    expect(await sut.madeHere('org_1', 'acc_1', Date.now() + 30_000)).toBe(true);
    expect(await sut.madeHere('org_1', 'acc_1', Date.now() + 30_000 + SELF_EDIT_MARGIN_MS + 1_000)).toBe(false);
  });

  it('when Redis cannot take the mark, the PATCH goes ahead: the mark is kept in memory, with a warn line', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const chain = { zadd: () => chain, zremrangebyscore: () => chain, pexpire: () => chain, exec: () => Promise.reject(new Error('Command timed out')) };
    // Enough of a client for RedisHealth too: events, status, options, PING.
    const failing = Object.assign(new EventEmitter(), { status: 'ready', options: { host: '127.0.0.1', port: 1 }, ping: () => Promise.resolve('PONG'), multi: () => chain });
    const sut = build({ REDIS_URL: 'redis://127.0.0.1:1' }, failing as unknown as Redis);
    const edit = await sut.begin('org_1', 'acc_1');
    await edit.answered();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("Edit of account acc_1 marked in this replica's memory only (Command timed out)"));
    // This replica still knows the edit is its own, without asking Redis.
    expect(await sut.madeHere('org_1', 'acc_1', Date.now())).toBe(true);
    warn.mockRestore();
  });
});
