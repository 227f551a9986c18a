import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describeWithRedis, redisUrl } from '../../test/support/redis';
import { testState, TestState } from '../../test/support/state';
import { RedisHealth } from '../redis/redis-health';
import { OutboundBudget } from './outbound-budget';
import { StackOneApiError } from './stackone-api.error';

const states: TestState[] = [];

function makeBudget(env: Record<string, string>, redis: Redis | null = null): { sut: OutboundBudget; health: RedisHealth } {
  const state = testState({ STACKONE_MAX_RETRY_AFTER_MS: '0', ...env }, redis);
  states.push(state);
  return { sut: new OutboundBudget(state.config, state.limiters), health: state.health };
}

/** What one take answers: 'ok', or the StackOneApiError kind. */
async function take(sut: OutboundBudget, tenantId: string | undefined): Promise<string> {
  try {
    await sut.take('createConnectSession', tenantId, Date.now() + 1_000, new AbortController().signal);
    return 'ok';
  } catch (err) {
    if (err instanceof StackOneApiError) return err.kind;
    throw err;
  }
}

async function takeMany(sut: OutboundBudget, tenantId: string | undefined, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await take(sut, tenantId));
  return out;
}

describe(OutboundBudget.name, () => {
  afterEach(() => states.splice(0).forEach((s) => s.close()));

  it('gives each tenant a ceiling inside the fleet budget: one tenant flooding leaves room for the others', async () => {
    const { sut } = makeBudget({ STACKONE_RATE_LIMIT_PER_MINUTE: '10', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '4' });
    expect(await takeMany(sut, 'org_flood', 8)).toEqual(['ok', 'ok', 'ok', 'ok', ...Array(4).fill('tenant-rate-limited')]);
    expect(await takeMany(sut, 'org_quiet', 4)).toEqual(['ok', 'ok', 'ok', 'ok']);
    // The fleet pool still binds: 8 of 10 used, two left for a third tenant, then none.
    expect(await takeMany(sut, 'org_third', 3)).toEqual(['ok', 'ok', 'rate-limited']);
  });

  it('a refusal by the ceiling spends none of the fleet budget', async () => {
    const { sut } = makeBudget({ STACKONE_RATE_LIMIT_PER_MINUTE: '5', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '1' });
    await takeMany(sut, 'org_flood', 50);
    expect(await takeMany(sut, undefined, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'rate-limited']);
  });

  it('a fleet refusal gives the tenant its point back', async () => {
    const { sut } = makeBudget({ STACKONE_RATE_LIMIT_PER_MINUTE: '3', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '2' });
    expect(await takeMany(sut, undefined, 3)).toEqual(['ok', 'ok', 'ok']);
    expect(await takeMany(sut, 'org_a', 5)).toEqual(Array(5).fill('rate-limited'));
    const tenantPool = (sut as unknown as { tenant: { get: (k: string) => Promise<{ consumedPoints: number } | null> } }).tenant;
    expect((await tenantPool.get('org_a'))?.consumedPoints ?? 0).toBe(0);
  });

  it('0 disables the ceiling: the fleet budget alone applies', async () => {
    const { sut } = makeBudget({ STACKONE_RATE_LIMIT_PER_MINUTE: '6', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0' });
    expect(await takeMany(sut, 'org_a', 7)).toEqual([...Array(6).fill('ok'), 'rate-limited']);
  });

  it('counts per process at once when Redis cannot be reached, and marks Redis degraded', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    down.on('error', () => undefined);
    try {
      const { sut, health } = makeBudget({ STACKONE_RATE_LIMIT_PER_MINUTE: '10', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '2', REDIS_URL: 'redis://127.0.0.1:1' }, down);
      expect(await takeMany(sut, 'org_a', 3)).toEqual(['ok', 'ok', 'tenant-rate-limited']);
      expect(health.mode()).toBe('degraded');
    } finally {
      down.disconnect();
    }
  });
});

describeWithRedis('OutboundBudget in Redis', () => {
  it('shares each tenant ceiling between replicas', async () => {
    const prefix = `test:${randomUUID()}:`;
    const clients = [new Redis(redisUrl as string), new Redis(redisUrl as string)];
    try {
      for (const c of clients) if (c.status !== 'ready') await once(c, 'ready');
      const env = { STACKONE_RATE_LIMIT_PER_MINUTE: '10', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '3', REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: prefix };
      const [one, two] = clients.map((c) => makeBudget(env, c).sut);
      expect([await take(one, 'org_a'), await take(two, 'org_a'), await take(one, 'org_a'), await take(two, 'org_a')]).toEqual(['ok', 'ok', 'ok', 'tenant-rate-limited']);
      expect(await take(two, 'org_b')).toBe('ok');
    } finally {
      const keys = await clients[0].keys(`${prefix}*`);
      if (keys.length > 0) await clients[0].del(...keys);
      await Promise.all(clients.map((c) => c.quit()));
    }
  });
});
