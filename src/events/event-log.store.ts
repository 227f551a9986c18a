import type { Redis } from 'ioredis';
import { compareIds, FeedEvent, NewFeedEvent } from './feed-event';

/** A tenant's log keeps at most about this many events (the newest), whatever the retention. */
export const EVENTS_PER_TENANT_MAX = 10_000;

/** Where tenants' event logs live: Redis across replicas, or this process's memory. */
/** Each tenant's feed, provided by the state layer. */
export const EVENT_LOG_STORE = Symbol('EVENT_LOG_STORE');

export interface EventLogStore {
  append(tenantId: string, event: NewFeedEvent): Promise<string>;
  /** Up to `limit` events of `tenantId` after the id `after` (from the oldest kept when undefined), oldest first. */
  read(tenantId: string, after: string | undefined, limit: number): Promise<FeedEvent[]>;
}

interface MemoryEntry {
  tenantId: string;
  ms: number;
  event: FeedEvent;
}

/**
 * This process's logs, at most `maxEntries` events in all (the oldest go first) and none older
 * than the retention. Ids use the Redis stream form so a cursor means the same in both stores.
 */
export class MemoryEventLogStore implements EventLogStore {
  /** Every entry in id order; each tenant's list is in id order too, so their heads leave together. */
  private readonly all: MemoryEntry[] = [];
  private readonly byTenant = new Map<string, MemoryEntry[]>();
  private lastMs = 0;
  private seq = 0;

  constructor(
    private readonly retentionMs: number,
    private readonly maxEntries: number,
    private readonly perTenantMax = EVENTS_PER_TENANT_MAX,
  ) {}

  append(tenantId: string, event: NewFeedEvent): Promise<string> {
    const now = Date.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else {
      this.seq += 1;
    }
    const id = `${this.lastMs}-${this.seq}`;
    const entry: MemoryEntry = { tenantId, ms: now, event: { id, ...event, data: { ...event.data } } };
    this.all.push(entry);
    let list = this.byTenant.get(tenantId);
    if (!list) this.byTenant.set(tenantId, (list = []));
    list.push(entry);
    if (list.length > this.perTenantMax) {
      const dropped = list.shift() as MemoryEntry;
      this.all.splice(this.all.indexOf(dropped), 1);
    }
    while (this.all.length > this.maxEntries) this.dropOldest();
    this.prune(now);
    return Promise.resolve(id);
  }

  read(tenantId: string, after: string | undefined, limit: number): Promise<FeedEvent[]> {
    this.prune(Date.now());
    const list = this.byTenant.get(tenantId) ?? [];
    const start = after === undefined ? 0 : list.findIndex((e) => compareIds(e.event.id, after) > 0);
    if (start < 0) return Promise.resolve([]);
    return Promise.resolve(list.slice(start, start + limit).map(({ event }) => ({ ...event, data: { ...event.data } })));
  }

  size(): number {
    return this.all.length;
  }

  private prune(now: number): void {
    while (this.all.length > 0 && this.all[0].ms <= now - this.retentionMs) this.dropOldest();
  }

  private dropOldest(): void {
    const oldest = this.all.shift() as MemoryEntry;
    const list = this.byTenant.get(oldest.tenantId);
    list?.shift();
    if (list?.length === 0) this.byTenant.delete(oldest.tenantId);
  }
}

/**
 * Redis layout (under REDIS_KEY_PREFIX): `events:<len>:<tenant>`, a stream per tenant. XADD trims
 * it to about EVENTS_PER_TENANT_MAX and drops entries older than the retention (MINID ~, so a few
 * may linger: reads start at the retention cutoff); the key expires a retention after the last
 * event. Stream ids are the cursor. Every command is bounded by REDIS_COMMAND_TIMEOUT_MS.
 */
export class RedisEventLogStore implements EventLogStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionMs: number,
  ) {}

  async append(tenantId: string, event: NewFeedEvent): Promise<string> {
    const key = this.key(tenantId);
    const results = await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', EVENTS_PER_TENANT_MAX, '*', 'e', JSON.stringify(event))
      .xtrim(key, 'MINID', '~', Date.now() - this.retentionMs)
      .pexpire(key, Math.max(1, this.retentionMs))
      .exec();
    if (!results) throw new Error('Redis transaction aborted');
    for (const [err] of results) if (err) throw err;
    return results[0][1] as string;
  }

  async read(tenantId: string, after: string | undefined, limit: number): Promise<FeedEvent[]> {
    const cutoff = `${Math.max(0, Date.now() - this.retentionMs)}-0`;
    const start = after !== undefined && compareIds(after, cutoff) >= 0 ? `(${after}` : cutoff;
    const entries = await this.redis.xrange(this.key(tenantId), start, '+', 'COUNT', limit);
    return entries.map(([id, fields]) => {
      const stored = JSON.parse(fields[fields.indexOf('e') + 1]) as NewFeedEvent;
      return { id, type: stored.type, timestamp: stored.timestamp, data: stored.data };
    });
  }

  private key(tenantId: string): string {
    return `${this.prefix}events:${tenantId.length}:${tenantId}`;
  }
}
