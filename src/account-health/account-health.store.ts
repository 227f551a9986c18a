import type { Redis } from 'ioredis';
import type { HealthState } from './health';

/** What the store keeps per account: its state and when it entered it. */
export interface RecordedHealth {
  state: HealthState;
  /** ISO 8601. */
  since: string;
  /** When a re-link session of the account completed during this broken episode, ISO 8601. */
  relinkedAt?: string;
}

export interface HealthTransition {
  /** What was recorded before this call; undefined for an account never seen. */
  previous?: RecordedHealth;
  /** True for exactly one caller per transition, across replicas. */
  changed: boolean;
}

/** Accounts per state and provider, fleet-wide (what accounts_by_health shows). */
export type HealthCounts = Array<{ state: HealthState; provider: string; count: number }>;

/** The account health store, provided by the state layer. */
export const ACCOUNT_HEALTH_STORE = Symbol('ACCOUNT_HEALTH_STORE');

export interface AccountHealthStore {
  /**
   * Records `next` unless the account is in that state already: a compare-and-set, so of callers
   * racing on one transition (replicas, a retry, a sweep) exactly one gets `changed: true`. The
   * per-state counts move with it. Every call restarts the entry's TTL.
   */
  record(tenantId: string, accountId: string, provider: string, next: RecordedHealth): Promise<HealthTransition>;
  /** A re-link session of the account completed: marked on its broken episode (false when it is not broken). */
  markRelinked(tenantId: string, accountId: string, at: string): Promise<boolean>;
  /** The account is gone (deleted): its entry and its count. */
  forget(tenantId: string, accountId: string): Promise<void>;
  counts(): Promise<HealthCounts>;
  /** A complete reading (the sweep's) replaces the counts: accounts gone without a webhook leave them. */
  replaceCounts(counts: HealthCounts): Promise<void>;
}

/** Health entries live this long after the account was last observed (one nobody reads for a month is seen afresh). */
export const HEALTH_TTL_MS = 30 * 24 * 3600 * 1000;

const entryKey = (tenantId: string, accountId: string): string => `${tenantId.length}:${tenantId}:${accountId}`;
const countField = (state: string, provider: string): string => `${state}|${provider}`;

function countsFrom(fields: Record<string, string | number>): HealthCounts {
  return Object.entries(fields)
    .map(([field, n]) => {
      const bar = field.indexOf('|');
      return { state: field.slice(0, bar) as HealthState, provider: field.slice(bar + 1), count: Number(n) };
    })
    .filter((c) => c.count > 0);
}

/** This process's health store, bounded in entries: at the bound the least recently observed goes. */
export class MemoryAccountHealthStore implements AccountHealthStore {
  private readonly entries = new Map<string, RecordedHealth & { provider: string; expiresAt: number }>();
  private readonly perState = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  record(tenantId: string, accountId: string, provider: string, next: RecordedHealth): Promise<HealthTransition> {
    const key = entryKey(tenantId, accountId);
    let stored = this.entries.get(key);
    if (stored && stored.expiresAt <= Date.now()) {
      this.drop(key);
      stored = undefined;
    }
    const previous = stored ? { state: stored.state, since: stored.since, ...(stored.relinkedAt !== undefined && { relinkedAt: stored.relinkedAt }) } : undefined;
    this.entries.delete(key);
    if (stored && stored.state === next.state) {
      this.entries.set(key, { ...stored, expiresAt: Date.now() + HEALTH_TTL_MS });
      return Promise.resolve({ previous, changed: false });
    }
    if (stored) this.count(stored.state, stored.provider, -1);
    this.entries.set(key, { state: next.state, since: next.since, provider, expiresAt: Date.now() + HEALTH_TTL_MS });
    this.count(next.state, provider, 1);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.drop(oldest);
    }
    return Promise.resolve({ previous, changed: true });
  }

  markRelinked(tenantId: string, accountId: string, at: string): Promise<boolean> {
    const stored = this.entries.get(entryKey(tenantId, accountId));
    if (stored?.state !== 'broken') return Promise.resolve(false);
    stored.relinkedAt = at;
    return Promise.resolve(true);
  }

  forget(tenantId: string, accountId: string): Promise<void> {
    this.drop(entryKey(tenantId, accountId));
    return Promise.resolve();
  }

  counts(): Promise<HealthCounts> {
    return Promise.resolve(countsFrom(Object.fromEntries(this.perState)));
  }

  replaceCounts(counts: HealthCounts): Promise<void> {
    this.perState.clear();
    for (const c of counts) this.count(c.state, c.provider, c.count);
    return Promise.resolve();
  }

  private drop(key: string): void {
    const stored = this.entries.get(key);
    if (!stored) return;
    this.entries.delete(key);
    this.count(stored.state, stored.provider, -1);
  }

  private count(state: string, provider: string, by: number): void {
    const field = countField(state, provider);
    const n = (this.perState.get(field) ?? 0) + by;
    if (n > 0) this.perState.set(field, n);
    else this.perState.delete(field);
  }
}

// Compare-and-set in one script: the stored state decides, so one caller wins a transition.
// KEYS: the account's hash, the counts hash. ARGV: state, since, provider, ttl.
const RECORD = `
local key, counts = KEYS[1], KEYS[2]
local stored = redis.call('HMGET', key, 'state', 'since', 'provider', 'relinked')
local relinked = stored[4] or ''
redis.call('PEXPIRE', key, ARGV[4])
if stored[1] == ARGV[1] then return {stored[1], stored[2], 0, relinked} end
if stored[1] then redis.call('HINCRBY', counts, stored[1] .. '|' .. stored[3], -1) end
redis.call('HDEL', key, 'relinked')
redis.call('HSET', key, 'state', ARGV[1], 'since', ARGV[2], 'provider', ARGV[3])
redis.call('PEXPIRE', key, ARGV[4])
redis.call('HINCRBY', counts, ARGV[1] .. '|' .. ARGV[3], 1)
if stored[1] then return {stored[1], stored[2], 1, relinked} end
return {'', '', 1, ''}
`;

const MARK = `
if redis.call('HGET', KEYS[1], 'state') ~= 'broken' then return 0 end
redis.call('HSET', KEYS[1], 'relinked', ARGV[1])
return 1
`;

const FORGET = `
local stored = redis.call('HMGET', KEYS[1], 'state', 'provider')
if not stored[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HINCRBY', KEYS[2], stored[1] .. '|' .. stored[2], -1)
return 1
`;

type HealthRedis = Redis & {
  healthRecord(key: string, counts: string, state: string, since: string, provider: string, ttl: number): Promise<[string, string, number, string]>;
  healthMark(key: string, at: string): Promise<number>;
  healthForget(key: string, counts: string): Promise<number>;
};

export class RedisAccountHealthStore implements AccountHealthStore {
  private readonly redis: HealthRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // EVALSHA with a fallback to EVAL: the scripts travel once per connection.
    redis.defineCommand('healthRecord', { numberOfKeys: 2, lua: RECORD });
    redis.defineCommand('healthForget', { numberOfKeys: 2, lua: FORGET });
    redis.defineCommand('healthMark', { numberOfKeys: 1, lua: MARK });
    this.redis = redis as HealthRedis;
  }

  async record(tenantId: string, accountId: string, provider: string, next: RecordedHealth): Promise<HealthTransition> {
    const [state, since, changed, relinkedAt] = await this.redis.healthRecord(this.key(tenantId, accountId), this.countsKey(), next.state, next.since, provider, HEALTH_TTL_MS);
    const previous = state ? { state: state as HealthState, since, ...(relinkedAt && { relinkedAt }) } : undefined;
    return { previous, changed: changed === 1 };
  }

  async markRelinked(tenantId: string, accountId: string, at: string): Promise<boolean> {
    return (await this.redis.healthMark(this.key(tenantId, accountId), at)) === 1;
  }

  async forget(tenantId: string, accountId: string): Promise<void> {
    await this.redis.healthForget(this.key(tenantId, accountId), this.countsKey());
  }

  async counts(): Promise<HealthCounts> {
    return countsFrom(await this.redis.hgetall(this.countsKey()));
  }

  async replaceCounts(counts: HealthCounts): Promise<void> {
    const multi = this.redis.multi().del(this.countsKey());
    if (counts.length > 0) multi.hset(this.countsKey(), Object.fromEntries(counts.map((c) => [countField(c.state, c.provider), String(c.count)])));
    const results = (await multi.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed) throw failed[0] as Error;
  }

  private key(tenantId: string, accountId: string): string {
    return `${this.prefix}health:${entryKey(tenantId, accountId)}`;
  }

  private countsKey(): string {
    return `${this.prefix}health-counts`;
  }
}
