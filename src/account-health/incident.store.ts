import type { Redis } from 'ioredis';

/** Breaks of one provider's accounts within the window: how many, of how many tenants. */
export interface BreakCount {
  accounts: number;
  tenants: number;
}

/** The provider-incident counts, provided by the state layer. */
export const INCIDENT_STORE = Symbol('INCIDENT_STORE');

export interface IncidentStore {
  /** Counts a break (one per account: a repeat moves its time) and answers the provider's breaks within the window. */
  broke(provider: string, tenantId: string, accountId: string, atMs: number, windowMs: number): Promise<BreakCount>;
  /** The provider's breaks within the window ending now. */
  count(provider: string, nowMs: number, windowMs: number): Promise<BreakCount>;
  /** Marks the provider's incident open; true for the one caller that opened it. */
  open(provider: string, atMs: number): Promise<boolean>;
  /** Ends it; true for the one caller that closed it. */
  close(provider: string): Promise<boolean>;
  openProviders(): Promise<string[]>;
}

const member = (tenantId: string, accountId: string): string => `${tenantId.length}:${tenantId}:${accountId}`;
const tenantOf = (m: string): string => {
  const colon = m.indexOf(':');
  return m.slice(colon + 1, colon + 1 + Number(m.slice(0, colon)));
};

/** This process's counts (no Redis, or during an outage): bounded per provider. */
export class MemoryIncidentStore implements IncidentStore {
  private readonly breaks = new Map<string, Map<string, number>>();
  private readonly opened = new Map<string, number>();

  constructor(private readonly maxPerProvider = 10_000) {}

  broke(provider: string, tenantId: string, accountId: string, atMs: number, windowMs: number): Promise<BreakCount> {
    const breaks = this.breaks.get(provider) ?? new Map<string, number>();
    this.breaks.set(provider, breaks);
    const m = member(tenantId, accountId);
    breaks.delete(m);
    breaks.set(m, atMs);
    for (const oldest of breaks.keys()) {
      if (breaks.size <= this.maxPerProvider) break;
      breaks.delete(oldest);
    }
    return this.count(provider, atMs, windowMs);
  }

  count(provider: string, nowMs: number, windowMs: number): Promise<BreakCount> {
    const breaks = this.breaks.get(provider);
    if (!breaks) return Promise.resolve({ accounts: 0, tenants: 0 });
    for (const [m, at] of breaks) if (at <= nowMs - windowMs) breaks.delete(m);
    if (breaks.size === 0) this.breaks.delete(provider);
    return Promise.resolve({ accounts: breaks.size, tenants: new Set([...breaks.keys()].map(tenantOf)).size });
  }

  open(provider: string, atMs: number): Promise<boolean> {
    if (this.opened.has(provider)) return Promise.resolve(false);
    this.opened.set(provider, atMs);
    return Promise.resolve(true);
  }

  close(provider: string): Promise<boolean> {
    return Promise.resolve(this.opened.delete(provider));
  }

  openProviders(): Promise<string[]> {
    return Promise.resolve([...this.opened.keys()]);
  }
}

// One sorted set per provider (member: tenant:account, score: break time); the count and the
// distinct tenants in one script, so every replica counts the same fleet-wide breaks.
const COUNT = `
local key = KEYS[1]
if ARGV[3] ~= '' then redis.call('ZADD', key, ARGV[1], ARGV[3]) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', key) == 0 then return {0, 0} end
redis.call('PEXPIRE', key, ARGV[2])
local members = redis.call('ZRANGE', key, 0, 9999)
local tenants, distinct = {}, 0
for _, m in ipairs(members) do
  local n = string.match(m, '^(%d+):')
  local tenant = string.sub(m, #n + 2, #n + 1 + tonumber(n))
  if not tenants[tenant] then
    tenants[tenant] = true
    distinct = distinct + 1
  end
end
return {redis.call('ZCARD', key), distinct}
`;

type IncidentRedis = Redis & { incidentCount(key: string, nowMs: number, windowMs: number, member: string): Promise<[number, number]> };

export class RedisIncidentStore implements IncidentStore {
  private readonly redis: IncidentRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('incidentCount', { numberOfKeys: 1, lua: COUNT });
    this.redis = redis as IncidentRedis;
  }

  async broke(provider: string, tenantId: string, accountId: string, atMs: number, windowMs: number): Promise<BreakCount> {
    const [accounts, tenants] = await this.redis.incidentCount(this.key(provider), atMs, windowMs, member(tenantId, accountId));
    return { accounts, tenants };
  }

  async count(provider: string, nowMs: number, windowMs: number): Promise<BreakCount> {
    const [accounts, tenants] = await this.redis.incidentCount(this.key(provider), nowMs, windowMs, '');
    return { accounts, tenants };
  }

  async open(provider: string, atMs: number): Promise<boolean> {
    return (await this.redis.hsetnx(this.openKey(), provider, String(atMs))) === 1;
  }

  async close(provider: string): Promise<boolean> {
    return (await this.redis.hdel(this.openKey(), provider)) === 1;
  }

  async openProviders(): Promise<string[]> {
    return this.redis.hkeys(this.openKey());
  }

  private key(provider: string): string {
    return `${this.prefix}incident:${provider}`;
  }

  private openKey(): string {
    return `${this.prefix}incidents-open`;
  }
}
