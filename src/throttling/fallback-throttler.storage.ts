import type { ThrottlerStorage } from '@nestjs/throttler';
import type { RedisHealth } from '../redis/redis-health';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * The shared (Redis) counters while Redis answers; this process's own counters the moment it does
 * not, and without asking it again until RedisHealth sees it back. A tenant's limit then holds per
 * replica instead of fleet-wide (the fleet admits up to replicas × the limit), rather than failing
 * or waiting.
 */
export class FallbackThrottlerStorage implements ThrottlerStorage {
  constructor(
    private readonly shared: ThrottlerStorage,
    private readonly local: ThrottlerStorage,
    private readonly health: RedisHealth,
  ) {}

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.health.available()) {
      try {
        return await this.shared.increment(key, ttl, limit, blockDuration, throttlerName);
      } catch (err) {
        this.health.failed(err);
      }
    }
    this.health.fellBack('throttle');
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }
}
