import type { Redis } from 'ioredis';

/** The de-duplication store, provided by the state layer. */
export const WEBHOOK_DELIVERY_STORE = Symbol('WEBHOOK_DELIVERY_STORE');

/** Which webhook deliveries were already seen, by id (the SHA-256 of the raw body), for a while. */
export interface WebhookDeliveryStore {
  /** Records `id` for `ttlMs`; true when it was not already recorded (a first delivery), atomically. */
  firstSeen(id: string, ttlMs: number): Promise<boolean>;
  /** Drops `id`, so the next delivery of it is a first one again (it was not taken in). */
  forget(id: string): Promise<void>;
}

/** How many deliveries one process remembers without Redis (about 100 bytes each). */
const WEBHOOK_MEMORY_MAX_ENTRIES = 10_000;

/**
 * This process's memory of deliveries, bounded: at the bound, expired ones go first, then the
 * oldest. A replay of an evicted delivery inside the window would be processed again, which the
 * event's handlers tolerate (they are idempotent); it takes over 10,000 deliveries per window.
 */
export class MemoryWebhookDeliveryStore implements WebhookDeliveryStore {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = WEBHOOK_MEMORY_MAX_ENTRIES) {}

  firstSeen(id: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const until = this.seen.get(id);
    if (until !== undefined && until > now) return Promise.resolve(false);
    this.seen.delete(id);
    if (this.seen.size >= this.maxEntries) this.evict(now);
    this.seen.set(id, now + ttlMs);
    return Promise.resolve(true);
  }

  forget(id: string): Promise<void> {
    this.seen.delete(id);
    return Promise.resolve();
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(now: number): void {
    for (const [id, until] of this.seen) if (until <= now) this.seen.delete(id);
    // Insertion order is arrival order: the oldest go first.
    for (const id of this.seen.keys()) {
      if (this.seen.size < this.maxEntries) break;
      this.seen.delete(id);
    }
  }
}

/** Shared by every replica: SET NX PX, one atomic command bounded by the client's command timeout. */
export class RedisWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async firstSeen(id: string, ttlMs: number): Promise<boolean> {
    const set = await this.redis.set(`${this.prefix}webhook:${id}`, '1', 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
    return set === 'OK';
  }

  async forget(id: string): Promise<void> {
    await this.redis.del(`${this.prefix}webhook:${id}`);
  }
}
