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
/** The Idempotency-Key records, provided by the state layer. */
export const IDEMPOTENCY_STORE = Symbol('IDEMPOTENCY_STORE');

export interface IdempotencyStore {
  /** Atomically claims `key` for a new request, or returns the record already there. */
  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<ClaimResult>;
  get(key: string): Promise<IdempotencyRecord | undefined>;
  complete(key: string, record: IdempotencyRecord, ttlMs: number): Promise<void>;
  release(key: string): Promise<void>;
}

/** The memory store is at its bound and holds only in-flight claims: nothing can be evicted. */
export class IdempotencyStoreFullError extends Error {
  override readonly name = 'IdempotencyStoreFullError';
}

export interface MemoryStoreLimits {
  maxEntries: number;
  /** Counted as the records' JSON plus a fixed overhead per entry. */
  maxBytes: number;
}

interface MemoryEntry {
  /** The record as JSON: compact, and its length is what the byte bound counts. */
  json: string;
  done: boolean;
  expiresAt: number;
  bytes: number;
}

// Map slot, entry object and key string beyond their characters.
const ENTRY_OVERHEAD_BYTES = 160;

/**
 * This process's records, bounded by entries and bytes. At the bound the oldest completed records
 * go first (a retry after that creates a new session, as after the TTL); in-flight claims are never
 * evicted, so when only those remain a new key is refused (IdempotencyStoreFullError → 503).
 * Completed records are re-inserted, so the Map's order is oldest-completed first.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly records = new Map<string, MemoryEntry>();
  private bytes = 0;

  constructor(private readonly limits: MemoryStoreLimits) {}

  claim(key: string, fingerprint: string, pendingTtlMs: number): Promise<ClaimResult> {
    const existing = this.read(key);
    if (existing) return Promise.resolve({ claimed: false, record: existing });
    const json = JSON.stringify({ state: 'pending', fingerprint } satisfies IdempotencyRecord);
    const bytes = entryBytes(key, json);
    if (!this.makeRoom(bytes)) return Promise.reject(new IdempotencyStoreFullError('idempotency store full of in-flight requests'));
    this.put(key, { json, done: false, expiresAt: Date.now() + pendingTtlMs, bytes });
    return Promise.resolve({ claimed: true });
  }

  get(key: string): Promise<IdempotencyRecord | undefined> {
    return Promise.resolve(this.read(key));
  }

  complete(key: string, record: IdempotencyRecord, ttlMs: number): Promise<void> {
    const json = JSON.stringify(record);
    this.remove(key);
    const bytes = entryBytes(key, json);
    // The claim's own room was just freed; a record too big for the store is simply not kept.
    if (this.makeRoom(bytes)) this.put(key, { json, done: true, expiresAt: Date.now() + ttlMs, bytes });
    return Promise.resolve();
  }

  release(key: string): Promise<void> {
    this.remove(key);
    return Promise.resolve();
  }

  /** What the bounds count, for tests and diagnostics. */
  stats(): { entries: number; bytes: number } {
    return { entries: this.records.size, bytes: this.bytes };
  }

  private read(key: string): IdempotencyRecord | undefined {
    const entry = this.records.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return JSON.parse(entry.json) as IdempotencyRecord;
  }

  private put(key: string, entry: MemoryEntry): void {
    this.records.set(key, entry);
    this.bytes += entry.bytes;
  }

  private remove(key: string): void {
    const entry = this.records.get(key);
    if (!entry) return;
    this.records.delete(key);
    this.bytes -= entry.bytes;
  }

  /** Frees room for `bytes` more: expired and completed entries, oldest first. False if only claims remain. */
  private makeRoom(bytes: number): boolean {
    const fits = (): boolean => this.records.size + 1 <= this.limits.maxEntries && this.bytes + bytes <= this.limits.maxBytes;
    if (fits()) return true;
    const now = Date.now();
    for (const [key, entry] of this.records) {
      if (entry.done || entry.expiresAt <= now) this.remove(key);
      if (fits()) return true;
    }
    return false;
  }
}

function entryBytes(key: string, json: string): number {
  return key.length + json.length + ENTRY_OVERHEAD_BYTES;
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
