import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { describeIfAvailable } from './needs';

/**
 * Redis-backed tests run only when REDIS_URL is set; otherwise Jest reports them as skipped.
 * REQUIRE_REDIS_TEST=1 (set by .ci/run) turns a missing REDIS_URL into a failure.
 */
export const redisUrl: string | undefined = process.env.REDIS_URL || undefined;
export const redisRequired = process.env.REQUIRE_REDIS_TEST === '1';

export function describeWithRedis(name: string, body: () => void): void {
  describeIfAvailable(
    redisUrl !== undefined,
    redisRequired,
    { missing: 'REDIS_URL is unset', fix: 'run with REDIS_URL=redis://127.0.0.1:6379', requiredBy: 'REQUIRE_REDIS_TEST' },
    name,
    body,
  );
}

/**
 * This test run's key namespace (`test:<run id>:`), shared by every spec of one run through the
 * environment set in test/support/global-setup.ts; the global teardown checks it is empty.
 */
const fallbackRunId = randomUUID();
export const runKeyNamespace = (): string => `test:${process.env.SCS_TEST_RUN_ID ?? fallbackRunId}:`;

const created = new Set<string>();

/** A fresh key prefix for one test's Redis keys, remembered so cleanUpRedisKeys can delete them. */
export function redisTestPrefix(): string {
  const prefix = `${runKeyNamespace()}${randomUUID()}:`;
  created.add(prefix);
  return prefix;
}

/** Keys under `pattern` (SCAN MATCH, so other engineers' keys on the shared Redis are untouched). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** A short-lived client for test bookkeeping: bounded waits, so a dead Redis fails the step instead of hanging it. */
export function testRedisClient(url: string): Redis {
  return new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: 5_000 });
}

/** Deletes every key under the prefixes this spec file made; pass a client or let it open one. */
export async function cleanUpRedisKeys(client?: Redis): Promise<number> {
  if (!redisUrl || created.size === 0) return 0;
  const redis = client ?? testRedisClient(redisUrl);
  try {
    let deleted = 0;
    for (const prefix of created) {
      const keys = await scanKeys(redis, `${prefix}*`);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    }
    created.clear();
    return deleted;
  } finally {
    if (!client) await redis.quit();
  }
}

/**
 * One client for a describe block's Redis tests: opened before them; after them the keys under the
 * prefixes they made are deleted and the client closed. Call the result inside tests and hooks.
 */
export function redisForTests(options: RedisOptions = {}): () => Redis {
  let client: Redis | undefined;
  beforeAll(() => {
    client = new Redis(redisUrl as string, options);
  });
  afterAll(async () => {
    if (!client) return;
    await cleanUpRedisKeys(client);
    await client.quit();
  });
  return () => client as Redis;
}
