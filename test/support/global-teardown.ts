import { Redis } from 'ioredis';

/**
 * Fails the run when its specs left Redis keys behind (their prefixes are under this run's id, so
 * other people's runs on the same Redis are neither seen nor touched). The leftovers are deleted.
 */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.REDIS_URL;
  const runId = process.env.SCS_TEST_RUN_ID;
  if (!url || !runId) return;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: 5_000 });
  try {
    const left: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `test:${runId}:*`, 'COUNT', 1000);
      left.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    if (left.length > 0) {
      await redis.unlink(...left);
      throw new Error(`This test run left ${left.length} Redis key(s) behind (now deleted), e.g. ${left.slice(0, 3).join(', ')}: a spec does not clean up its keys`);
    }
  } finally {
    await redis.quit();
  }
}
