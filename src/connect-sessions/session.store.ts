import type { Redis } from 'ioredis';
import { EXPIRES_IN_BOUNDS } from './dto/create-connect-session.dto';
import { SessionCompletion, SessionRecord, StoredSession } from './session-record';

/** A session the sweep claimed as expired. */
export type ExpiredSession = Pick<SessionRecord, 'tenantId' | 'sessionId' | 'provider'>;

/** The session records, provided by the state layer. */
export const SESSION_STORE = Symbol('SESSION_STORE');

/** Where session records live: Redis across replicas, or this process's memory. */
export interface SessionStore {
  /** Keeps `record` for `ttlMs` (its lifetime plus the retention window). */
  add(record: SessionRecord, ttlMs: number): Promise<void>;
  get(tenantId: string, sessionId: string): Promise<StoredSession | undefined>;
  /** The tenant's sessions, newest (createdAt) first, read `batchSize` at a time. */
  newest(tenantId: string, batchSize: number): AsyncIterable<StoredSession>;
  /** Writes the completion unless the session has one already; true when this call wrote it. */
  complete(record: SessionRecord, completion: SessionCompletion): Promise<boolean>;
  /** True only the first time a pending session is claimed as expired (so it is counted once). */
  claimExpired(record: SessionRecord): Promise<boolean>;
  /** Claims up to `limit` pending sessions whose expiresAt has passed; returns what was claimed. */
  sweepExpired(nowMs: number, limit: number): Promise<ExpiredSession[]>;
}

/** A tenant's index keeps at most this many sessions (the newest); older ones drop out of listings. */
const SESSIONS_PER_TENANT_MAX = 10_000;

interface MemoryEntry extends StoredSession {
  dropAtMs: number;
  expiredClaimed: boolean;
  /** When it was added (a counter), so a stale place in the eviction queue is told from a re-add. */
  added: number;
}

/**
 * This process's records, at most `maxEntries`: at the bound the oldest record goes first. Each
 * tenant's sessions are kept in their own map too, so a listing reads only that tenant's.
 */
export class MemorySessionStore implements SessionStore {
  private readonly all = new Map<string, MemoryEntry>();
  private readonly byTenant = new Map<string, Map<string, MemoryEntry>>();
  /**
   * Keys in the order they were added, from `head` on (with places of records since removed): the
   * oldest record at the bound in O(1). A Map's first key is not: V8 leaves a hole for each deleted
   * entry until its table is rebuilt, and every eviction walked thousands of them.
   */
  private queue: { key: string; added: number }[] = [];
  private head = 0;
  private added = 0;

  constructor(private readonly maxEntries: number) {}

  add(record: SessionRecord, ttlMs: number): Promise<void> {
    const key = memoryKey(record.tenantId, record.sessionId);
    this.remove(key);
    while (this.all.size >= this.maxEntries) this.remove(this.oldestKey());
    const entry: MemoryEntry = { record: { ...record }, dropAtMs: Date.now() + ttlMs, expiredClaimed: false, added: ++this.added };
    this.all.set(key, entry);
    this.queue.push({ key, added: entry.added });
    // Evicted, expired and re-added records leave places behind: rebuilt from the live records once
    // they outnumber them (O(1) amortised), which also drops what eviction has passed.
    if (this.queue.length > 2 * this.all.size + 1024) {
      this.queue = [...this.all].map(([k, e]) => ({ key: k, added: e.added }));
      this.head = 0;
    }
    let tenant = this.byTenant.get(record.tenantId);
    if (!tenant) this.byTenant.set(record.tenantId, (tenant = new Map<string, MemoryEntry>()));
    tenant.set(record.sessionId, entry);
    return Promise.resolve();
  }

  get(tenantId: string, sessionId: string): Promise<StoredSession | undefined> {
    return Promise.resolve(this.read(tenantId, sessionId));
  }

  async *newest(tenantId: string, _batchSize?: number): AsyncIterable<StoredSession> {
    const now = Date.now();
    const entries = [...(this.byTenant.get(tenantId)?.values() ?? [])]
      .filter((e) => e.dropAtMs > now)
      .sort((a, b) => Date.parse(b.record.createdAt) - Date.parse(a.record.createdAt));
    for (const entry of entries) yield copy(entry);
    await Promise.resolve();
  }

  complete(record: SessionRecord, completion: SessionCompletion): Promise<boolean> {
    const entry = this.entry(record.tenantId, record.sessionId);
    if (!entry || entry.completion) return Promise.resolve(false);
    entry.completion = { ...completion };
    return Promise.resolve(true);
  }

  claimExpired(record: SessionRecord): Promise<boolean> {
    const entry = this.entry(record.tenantId, record.sessionId);
    if (!entry || entry.completion || entry.expiredClaimed) return Promise.resolve(false);
    entry.expiredClaimed = true;
    return Promise.resolve(true);
  }

  sweepExpired(nowMs: number, limit: number): Promise<ExpiredSession[]> {
    const claimed: ExpiredSession[] = [];
    for (const [key, entry] of this.all) {
      if (claimed.length >= limit) break;
      if (entry.dropAtMs <= nowMs) {
        this.remove(key);
        continue;
      }
      if (entry.completion || entry.expiredClaimed || Date.parse(entry.record.expiresAt) > nowMs) continue;
      entry.expiredClaimed = true;
      claimed.push({ tenantId: entry.record.tenantId, sessionId: entry.record.sessionId, provider: entry.record.provider });
    }
    return Promise.resolve(claimed);
  }

  size(): number {
    return this.all.size;
  }

  /** The key of the oldest record still kept (called only while some are). */
  private oldestKey(): string {
    for (;;) {
      const place = this.queue[this.head++];
      if (this.all.get(place.key)?.added === place.added) return place.key;
    }
  }

  private read(tenantId: string, sessionId: string): StoredSession | undefined {
    const entry = this.entry(tenantId, sessionId);
    return entry ? copy(entry) : undefined;
  }

  private entry(tenantId: string, sessionId: string): MemoryEntry | undefined {
    const entry = this.byTenant.get(tenantId)?.get(sessionId);
    if (!entry) return undefined;
    if (entry.dropAtMs <= Date.now()) {
      this.remove(memoryKey(tenantId, sessionId));
      return undefined;
    }
    return entry;
  }

  private remove(key: string): void {
    const entry = this.all.get(key);
    if (!entry) return;
    this.all.delete(key);
    const tenant = this.byTenant.get(entry.record.tenantId);
    tenant?.delete(entry.record.sessionId);
    if (tenant?.size === 0) this.byTenant.delete(entry.record.tenantId);
  }
}

const memoryKey = (tenantId: string, sessionId: string): string => `${tenantId.length}:${tenantId}:${sessionId}`;

function copy(entry: StoredSession): StoredSession {
  return { record: { ...entry.record }, ...(entry.completion ? { completion: { ...entry.completion } } : {}) };
}

// Completes only a session that still exists, only once, and takes it off the expiry list.
const COMPLETE_SCRIPT = `
if redis.call('HEXISTS', KEYS[1], 'r') == 0 then return 0 end
local set = redis.call('HSETNX', KEYS[1], 'c', ARGV[1])
if set == 1 then redis.call('ZREM', KEYS[2], ARGV[2]) end
return set`;

/**
 * Redis layout (all under REDIS_KEY_PREFIX):
 * - `session:<len>:<tenant>:<id>`: a hash, `r` = the record (JSON), `c` = the completion (written
 *   once, HSETNX); it expires at expiresAt + retention.
 * - `sessions:<len>:<tenant>`: the tenant's index, a sorted set of session ids by createdAt,
 *   trimmed on every write to the newest SESSIONS_PER_TENANT_MAX within the longest lifetime + retention.
 * - `sessions-expiring`: pending sessions by expiresAt; removing a member is the once-only claim
 *   that counts an expiry (on read or by the sweep), and completion removes it too.
 * Every command is bounded by REDIS_COMMAND_TIMEOUT_MS (the client's commandTimeout).
 */
export class RedisSessionStore implements SessionStore {
  private readonly maxAgeMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    retentionMs: number,
  ) {
    this.maxAgeMs = EXPIRES_IN_BOUNDS.max * 1000 + retentionMs;
  }

  async add(record: SessionRecord, ttlMs: number): Promise<void> {
    const index = this.indexKey(record.tenantId);
    const now = Date.now();
    const results = await this.redis
      .multi()
      .hset(this.sessionKey(record.tenantId, record.sessionId), 'r', JSON.stringify(record))
      .pexpire(this.sessionKey(record.tenantId, record.sessionId), Math.max(1, Math.round(ttlMs)))
      .zadd(index, Date.parse(record.createdAt), record.sessionId)
      .zremrangebyscore(index, '-inf', `(${now - this.maxAgeMs}`)
      .zremrangebyrank(index, 0, -(SESSIONS_PER_TENANT_MAX + 1))
      .pexpire(index, this.maxAgeMs)
      .zadd(this.expiringKey(), Date.parse(record.expiresAt), expiringMember(record))
      .pexpire(this.expiringKey(), this.maxAgeMs)
      .exec();
    throwIfFailed(results);
  }

  async get(tenantId: string, sessionId: string): Promise<StoredSession | undefined> {
    const [r, c] = await this.redis.hmget(this.sessionKey(tenantId, sessionId), 'r', 'c');
    return parseStored(r, c);
  }

  async *newest(tenantId: string, batchSize: number): AsyncIterable<StoredSession> {
    for (let offset = 0; ; offset += batchSize) {
      const ids = await this.redis.zrange(this.indexKey(tenantId), '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, batchSize);
      if (ids.length === 0) return;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hmget(this.sessionKey(tenantId, id), 'r', 'c');
      const results = throwIfFailed(await pipeline.exec()) as Array<[string | null, string | null]>;
      for (const [r, c] of results) {
        // Its hash expired before the index was trimmed: skip it.
        const stored = parseStored(r, c);
        if (stored) yield stored;
      }
      if (ids.length < batchSize) return;
    }
  }

  async complete(record: SessionRecord, completion: SessionCompletion): Promise<boolean> {
    const set = await this.redis.eval(
      COMPLETE_SCRIPT,
      2,
      this.sessionKey(record.tenantId, record.sessionId),
      this.expiringKey(),
      JSON.stringify(completion),
      expiringMember(record),
    );
    return set === 1;
  }

  async claimExpired(record: SessionRecord): Promise<boolean> {
    return (await this.redis.zrem(this.expiringKey(), expiringMember(record))) === 1;
  }

  async sweepExpired(nowMs: number, limit: number): Promise<ExpiredSession[]> {
    const due = await this.redis.zrangebyscore(this.expiringKey(), '-inf', nowMs, 'LIMIT', 0, limit);
    if (due.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const member of due) pipeline.zrem(this.expiringKey(), member);
    const removed = throwIfFailed(await pipeline.exec()) as number[];
    // Only the replica whose ZREM removed a member counts it.
    return due.filter((_, i) => removed[i] === 1).flatMap((member) => expiredOfMember(member) ?? []);
  }

  private sessionKey(tenantId: string, sessionId: string): string {
    return `${this.prefix}session:${tenantId.length}:${tenantId}:${sessionId}`;
  }

  private indexKey(tenantId: string): string {
    return `${this.prefix}sessions:${tenantId.length}:${tenantId}`;
  }

  private expiringKey(): string {
    return `${this.prefix}sessions-expiring`;
  }
}

const expiringMember = (record: SessionRecord): string => JSON.stringify([record.tenantId, record.sessionId, record.provider ?? null]);

function expiredOfMember(member: string): ExpiredSession | undefined {
  try {
    const [tenantId, sessionId, provider] = JSON.parse(member) as unknown[];
    if (typeof tenantId !== 'string' || typeof sessionId !== 'string') return undefined;
    return { tenantId, sessionId, provider: typeof provider === 'string' ? provider : undefined };
  } catch {
    return undefined;
  }
}

function parseStored(r: string | null, c: string | null): StoredSession | undefined {
  if (!r) return undefined;
  const record = JSON.parse(r) as SessionRecord;
  return c ? { record, completion: JSON.parse(c) as SessionCompletion } : { record };
}

/** A MULTI or pipeline answers per command; any failed command fails the whole call. */
function throwIfFailed(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (!results) throw new Error('Redis transaction aborted');
  for (const [err] of results) if (err) throw err;
  return results.map(([, value]) => value);
}
