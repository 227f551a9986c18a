import type { Redis } from 'ioredis';

export interface IdempotencyRecord {
  state: 'pending' | 'done';
  /** SHA-256 of the canonical request body: the same key with another body is refused. */
  fingerprint: string;
  status?: number;
  body?: unknown;
}

export type ClaimResult = { claimed: true } | { claimed: false; record: IdempotencyRecord };

/** Where Idempotency-Key records live: Redis across replicas, or this process's memory. */
export interface IdempotencyStore {
  /** Atomically claims `key` for a new request, or returns the record already there. */
  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<ClaimResult>;
  get(key: string): Promise<IdempotencyRecord | undefined>;
  complete(key: string, record: IdempotencyRecord, ttlMs: number): Promise<void>;
  release(key: string): Promise<void>;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();

  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<ClaimResult> {
    const existing = this.read(key);
    if (existing) return Promise.resolve({ claimed: false, record: existing });
    this.records.set(key, { record: { state: 'pending', fingerprint }, expiresAt: Date.now() + pendingTtlMs });
    this.sweep();
    return Promise.resolve({ claimed: true });
  }

  get(key: string): Promise<IdempotencyRecord | undefined> {
    return Promise.resolve(this.read(key));
  }

  complete(key: string, record: IdempotencyRecord, ttlMs: number): Promise<void> {
    this.records.set(key, { record, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.records.delete(key);
    return Promise.resolve();
  }

  private read(key: string): IdempotencyRecord | undefined {
    const entry = this.records.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.records.delete(key);
      return undefined;
    }
    return entry.record;
  }

  // Bounded memory: drop expired entries now and then rather than on a timer.
  private sweep(): void {
    if (this.records.size % 1024 !== 0) return;
    const now = Date.now();
    for (const [k, v] of this.records) if (v.expiresAt <= now) this.records.delete(k);
  }
}

export class RedisIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<ClaimResult> {
    const redisKey = this.key(key);
    const pending: IdempotencyRecord = { state: 'pending', fingerprint };
    const set = await this.redis.set(redisKey, JSON.stringify(pending), 'PX', pendingTtlMs, 'NX');
    if (set === 'OK') return { claimed: true };
    const record = await this.get(key);
    // It expired between SET NX and GET: try once more.
    if (!record) return this.claim(key, fingerprint, pendingTtlMs);
    return { claimed: false, record };
  }

  async get(key: string): Promise<IdempotencyRecord | undefined> {
    const raw = await this.redis.get(this.key(key));
    return raw ? (JSON.parse(raw) as IdempotencyRecord) : undefined;
  }

  async complete(key: string, record: IdempotencyRecord, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(record), 'PX', Math.max(1, Math.round(ttlMs)));
  }

  async release(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  private key(key: string): string {
    return `${this.prefix}idem:${key}`;
  }
}
