import { runKeyNamespace, scanKeys, testRedisClient } from './redis';

/**
 * Fails the run when its specs left Redis keys behind (their prefixes are under this run's id, so
 * other people's runs on the same Redis are neither seen nor touched). The leftovers are deleted.
 */
export default async function globalTeardown(): Promise<void> {
  const url = process.env.REDIS_URL;
  if (!url || !process.env.SCS_TEST_RUN_ID) return;
  const redis = testRedisClient(url);
  try {
    const left = await scanKeys(redis, `${runKeyNamespace()}*`);
    if (left.length > 0) {
      await redis.unlink(...left);
      throw new Error(`This test run left ${left.length} Redis key(s) behind (now deleted), e.g. ${left.slice(0, 3).join(', ')}: a spec does not clean up its keys`);
    }
  } finally {
    await redis.quit();
  }
}
