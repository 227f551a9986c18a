import { describeWithRedis, redisForTests, redisTestPrefix } from '../../test/support/redis';
import { SessionCompletion, SessionRecord, StoredSession } from './session-record';
import { MemorySessionStore, RedisSessionStore, SessionStore } from './session.store';

const HOUR = 3_600_000;
let ids = 0;
const record = (overrides: Partial<SessionRecord> = {}): SessionRecord => {
  const createdMs = Date.now() - 60_000 + ids;
  return {
    tenantId: 'org_1',
    sessionId: String(++ids),
    provider: 'hibob',
    createdAt: new Date(createdMs).toISOString(),
    expiresAt: new Date(createdMs + HOUR).toISOString(),
    principal: 'user-1',
    ...overrides,
  };
};
const completion = (accountId = 'acc_1'): SessionCompletion => ({ accountId, completedAt: new Date().toISOString(), action: 'create', eventKey: `k-${accountId}` });

async function all(it: AsyncIterable<StoredSession>): Promise<string[]> {
  const out: string[] = [];
  for await (const s of it) out.push(s.record.sessionId);
  return out;
}

/** What every store must do, whichever holds the records. */
function contract(make: () => SessionStore): void {
  it("keeps a tenant's sessions apart from another's, listed newest first", async () => {
    const sut = make();
    const old = record({ createdAt: new Date(Date.now() - 5 * 60_000).toISOString() });
    const recent = record();
    const other = record({ tenantId: 'org_2' });
    for (const r of [recent, old, other]) await sut.add(r, HOUR);
    expect(await all(sut.newest('org_1', 1))).toEqual([recent.sessionId, old.sessionId]);
    expect(await all(sut.newest('org_2', 10))).toEqual([other.sessionId]);
    expect(await sut.get('org_2', recent.sessionId)).toBeUndefined();
    expect(await sut.get('org_1', recent.sessionId)).toEqual({ record: recent });
  });

  it('completes a session once: a second completion changes nothing', async () => {
    const sut = make();
    const r = record();
    await sut.add(r, HOUR);
    expect(await sut.complete(r, completion('acc_1'))).toBe(true);
    expect(await sut.complete(r, completion('acc_2'))).toBe(false);
    expect((await sut.get('org_1', r.sessionId))?.completion?.accountId).toBe('acc_1');
  });

  it('does not complete a session it does not hold', async () => {
    const sut = make();
    expect(await sut.complete(record(), completion())).toBe(false);
  });

  it('claims an expired session once, whether on read or by the sweep, and never a completed one', async () => {
    const sut = make();
    const past = new Date(Date.now() - 1_000).toISOString();
    const readFirst = record({ expiresAt: past, provider: undefined });
    const sweptFirst = record({ expiresAt: past, provider: 'greenhouse' });
    const done = record({ expiresAt: past });
    const pending = record();
    for (const r of [readFirst, sweptFirst, done, pending]) await sut.add(r, HOUR);
    await sut.complete(done, completion());
    expect(await sut.claimExpired(readFirst)).toBe(true);
    expect(await sut.sweepExpired(Date.now(), 100)).toEqual([{ tenantId: sweptFirst.tenantId, sessionId: sweptFirst.sessionId, provider: 'greenhouse' }]);
    expect(await sut.claimExpired(readFirst)).toBe(false);
    expect(await sut.claimExpired(sweptFirst)).toBe(false);
    expect(await sut.sweepExpired(Date.now(), 100)).toEqual([]);
  });
}

describe(MemorySessionStore.name, () => {
  contract(() => new MemorySessionStore(100));

  it('stays within its bound: the oldest record goes first', async () => {
    const sut = new MemorySessionStore(2);
    const [a, b, c] = [record(), record(), record()];
    for (const r of [a, b, c]) await sut.add(r, HOUR);
    expect(sut.size()).toBe(2);
    expect(await sut.get('org_1', a.sessionId)).toBeUndefined();
    expect(await all(sut.newest('org_1', 10))).toEqual([c.sessionId, b.sessionId]);
  });

  it('evicts in the order records were added, a re-added record counting from its re-add, over many evictions', async () => {
    const sut = new MemorySessionStore(3);
    const [a, b, c] = [record(), record(), record()];
    for (const r of [a, b, c]) await sut.add(r, HOUR);
    await sut.add(a, HOUR); // a is now the newest
    const d = record();
    await sut.add(d, HOUR); // b goes
    expect(await all(sut.newest('org_1', 10))).toEqual(expect.arrayContaining([a.sessionId, c.sessionId, d.sessionId]));
    expect(await sut.get('org_1', b.sessionId)).toBeUndefined();
    // Thousands of adds past the bound (the eviction queue compacts itself): still the newest three, in order.
    const later = Array.from({ length: 5000 }, () => record());
    for (const r of later) await sut.add(r, HOUR);
    expect(sut.size()).toBe(3);
    expect(await all(sut.newest('org_1', 10))).toEqual(later.slice(-3).map((r) => r.sessionId).reverse());
  });

  it('keeps its eviction order right when records also leave by expiry', async () => {
    const sut = new MemorySessionStore(2);
    for (let i = 0; i < 3000; i++) await sut.add(record(), 1); // each expires at once and is dropped on read
    await new Promise((resolve) => setTimeout(resolve, 5));
    await sut.sweepExpired(Date.now(), 10_000);
    expect(sut.size()).toBe(0);
    const [x, y, z] = [record(), record(), record()];
    for (const r of [x, y, z]) await sut.add(r, HOUR);
    expect(await all(sut.newest('org_1', 10))).toEqual([z.sessionId, y.sessionId]);
  });

  it('forgets a record after its time to live', async () => {
    const sut = new MemorySessionStore(10);
    const r = record();
    await sut.add(r, 5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await sut.get('org_1', r.sessionId)).toBeUndefined();
    expect(await all(sut.newest('org_1', 10))).toEqual([]);
  });
});

describeWithRedis(RedisSessionStore.name, () => {
  const redis = redisForTests();

  contract(() => new RedisSessionStore(redis(), redisTestPrefix(), 60_000));

  it('keeps each record for its time to live under the prefix, and two stores on one prefix share records', async () => {
    const prefix = redisTestPrefix();
    const one = new RedisSessionStore(redis(), prefix, 60_000);
    const two = new RedisSessionStore(redis(), prefix, 60_000);
    const r = record();
    await one.add(r, 90_000);
    const ttl = await redis().pttl(`${prefix}session:5:org_1:${r.sessionId}`);
    expect(ttl).toBeGreaterThan(80_000);
    expect(ttl).toBeLessThanOrEqual(90_000);
    expect(await two.get('org_1', r.sessionId)).toEqual({ record: r });
    expect(await two.complete(r, completion())).toBe(true);
    expect(await one.complete(r, completion('acc_2'))).toBe(false);
    const raw = await redis().hgetall(`${prefix}session:5:org_1:${r.sessionId}`);
    expect(Object.keys(raw).sort()).toEqual(['c', 'r']);
  });
});
