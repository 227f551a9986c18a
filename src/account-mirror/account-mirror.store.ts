import type { Redis } from 'ioredis';

/** One of a tenant's accounts as the mirror keeps it: never credentials or any other field. */
export interface MirroredAccount {
  id: string;
  /** StackOne's status when an answer last showed it; events do not carry one. */
  status?: string;
  /** Orders the accounts: the preview picks the most recently created one, as StackOne does. */
  createdAtMs: number;
}

/**
 * What the mirror knows about one tenant's accounts for one provider. `complete`: these are all of
 * them (none at all is the negative entry). Otherwise `newest`, when set, is an account known to be
 * the most recently created (an account.created event: any later one has its own event).
 */
export interface ProviderMirror {
  /** Bumped by every event, so an answer fetched before an event never overwrites it. */
  version: number;
  complete: boolean;
  newest?: string;
  accounts: MirroredAccount[];
}

export interface MirrorChange {
  type: 'account.created' | 'account.updated' | 'account.deleted';
  accountId: string;
  /** For account.created: when it happened. */
  createdAtMs?: number;
}

/** The account mirror's state: Redis across replicas, or this process's memory. */
/** The account mirror's entries, provided by the state layer. */
export const ACCOUNT_MIRROR_STORE = Symbol('ACCOUNT_MIRROR_STORE');

export interface AccountMirrorStore {
  read(tenantId: string, provider: string): Promise<ProviderMirror | undefined>;
  /**
   * Replaces the entry with StackOne's full answer (a complete set), unless an event changed it since
   * `seenVersion` was read (0: there was no entry). Starts the entry's TTL afresh. False if refused.
   */
  replace(tenantId: string, provider: string, seenVersion: number, accounts: MirroredAccount[], ttlMs: number): Promise<boolean>;
  /** Applies an event; an absent entry is created (its TTL starts), a present one keeps its TTL. */
  apply(tenantId: string, provider: string, change: MirrorChange, ttlMs: number): Promise<void>;
  /** Refreshes accounts seen in an answer, in entries that exist; nothing is created. */
  observe(tenantId: string, accounts: Array<MirroredAccount & { provider: string }>): Promise<void>;
  /** Drops the entry: the next preview asks StackOne. */
  forget(tenantId: string, provider: string): Promise<void>;
}

/** The account the preview names: the most recently created one, `null` for "none", undefined when unknown. */
export function previewFrom(mirror: ProviderMirror | undefined): MirroredAccount | null | undefined {
  if (!mirror) return undefined;
  if (mirror.complete) {
    return mirror.accounts.reduce<MirroredAccount | null>((best, a) => (best === null || a.createdAtMs > best.createdAtMs ? a : best), null);
  }
  return mirror.newest === undefined ? undefined : mirror.accounts.find((a) => a.id === mirror.newest);
}

/** Most accounts one entry holds: an entry that would outgrow it is dropped, so the next preview asks. */
export const MAX_ACCOUNTS_PER_ENTRY = 100;

interface MemoryEntry {
  version: number;
  complete: boolean;
  newest?: string;
  accounts: Map<string, MirroredAccount>;
  expiresAt: number;
}

/** This process's mirror, bounded in entries (tenant × provider): at the bound the oldest entry goes. */
export class MemoryAccountMirrorStore implements AccountMirrorStore {
  private readonly entries = new Map<string, MemoryEntry>();

  constructor(private readonly maxEntries: number) {}

  read(tenantId: string, provider: string): Promise<ProviderMirror | undefined> {
    const entry = this.live(entryKey(tenantId, provider));
    if (!entry) return Promise.resolve(undefined);
    return Promise.resolve({ version: entry.version, complete: entry.complete, newest: entry.newest, accounts: [...entry.accounts.values()].map((a) => ({ ...a })) });
  }

  replace(tenantId: string, provider: string, seenVersion: number, accounts: MirroredAccount[], ttlMs: number): Promise<boolean> {
    const key = entryKey(tenantId, provider);
    if ((this.live(key)?.version ?? 0) !== seenVersion) return Promise.resolve(false);
    if (accounts.length > MAX_ACCOUNTS_PER_ENTRY) return Promise.resolve(false);
    this.put(key, { version: seenVersion, complete: true, accounts: new Map(accounts.map((a) => [a.id, { ...a }])), expiresAt: Date.now() + ttlMs });
    return Promise.resolve(true);
  }

  apply(tenantId: string, provider: string, change: MirrorChange, ttlMs: number): Promise<void> {
    const key = entryKey(tenantId, provider);
    const entry = this.live(key) ?? this.put(key, { version: 0, complete: false, accounts: new Map(), expiresAt: Date.now() + ttlMs });
    entry.version += 1;
    const { accountId } = change;
    if (change.type === 'account.deleted') {
      entry.accounts.delete(accountId);
      if (entry.newest === accountId) entry.newest = undefined;
    } else if (change.type === 'account.created') {
      const createdAtMs = change.createdAtMs ?? Date.now();
      entry.accounts.set(accountId, { ...entry.accounts.get(accountId), id: accountId, createdAtMs });
      const newest = entry.newest === undefined ? undefined : entry.accounts.get(entry.newest);
      if (!entry.complete && (!newest || newest.createdAtMs < createdAtMs)) entry.newest = accountId;
    } else if (!entry.accounts.has(accountId)) {
      // An account we never saw created: the set was not complete after all (a lost event).
      entry.complete = false;
    }
    if (entry.accounts.size > MAX_ACCOUNTS_PER_ENTRY) {
      // Forget it, but keep the version: an answer fetched before this event must still be refused.
      this.put(key, { version: entry.version, complete: false, accounts: new Map(), expiresAt: entry.expiresAt });
    }
    return Promise.resolve();
  }

  observe(tenantId: string, accounts: Array<MirroredAccount & { provider: string }>): Promise<void> {
    for (const { provider, ...account } of accounts) {
      const entry = this.live(entryKey(tenantId, provider));
      if (entry && (entry.accounts.has(account.id) || entry.accounts.size < MAX_ACCOUNTS_PER_ENTRY)) entry.accounts.set(account.id, account);
    }
    return Promise.resolve();
  }

  forget(tenantId: string, provider: string): Promise<void> {
    this.entries.delete(entryKey(tenantId, provider));
    return Promise.resolve();
  }

  /** Entries held now, for tests and diagnostics. */
  size(): number {
    return this.entries.size;
  }

  private live(key: string): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private put(key: string, entry: MemoryEntry): MemoryEntry {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, entry);
    return entry;
  }
}

/** Length-prefixed, so no tenant id and provider pair can collide with another. */
function entryKey(tenantId: string, provider: string): string {
  return `${tenantId.length}:${tenantId}:${provider}`;
}

// One hash per tenant and provider: `v` version, `complete`, `newest`, and `a:<id>` = "<createdAtMs>|<status>".
// Each change is one script, so replicas applying events and answers at once never interleave.
const COUNT = `local function accounts(key) return redis.call('HLEN', key) - redis.call('HEXISTS', key, 'v') - redis.call('HEXISTS', key, 'complete') - redis.call('HEXISTS', key, 'newest') end
`;

const APPLY = `${COUNT}
local key, kind, id, created, ttl, limit = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local field = 'a:' .. id
if kind == 'account.deleted' then
  redis.call('HDEL', key, field)
  if redis.call('HGET', key, 'newest') == id then redis.call('HDEL', key, 'newest') end
elseif kind == 'account.created' then
  local old = redis.call('HGET', key, field)
  local status = old and string.match(old, '|(.*)$') or ''
  redis.call('HSET', key, field, created .. '|' .. status)
  if redis.call('HGET', key, 'complete') ~= '1' then
    local newest = redis.call('HGET', key, 'newest')
    local current = newest and redis.call('HGET', key, 'a:' .. newest)
    if not current or tonumber(string.match(current, '^([^|]*)')) < created then redis.call('HSET', key, 'newest', id) end
  end
elseif redis.call('HEXISTS', key, field) == 0 then
  redis.call('HDEL', key, 'complete')
end
local version = redis.call('HINCRBY', key, 'v', 1)
if accounts(key) > limit then
  redis.call('DEL', key)
  redis.call('HSET', key, 'v', version)
end
redis.call('PEXPIRE', key, ttl, 'NX')
return version
`;

const REPLACE = `
local key, seen, ttl = KEYS[1], ARGV[1], ARGV[2]
if (redis.call('HGET', key, 'v') or '0') ~= seen then return 0 end
redis.call('DEL', key)
redis.call('HSET', key, 'v', seen, 'complete', '1')
for i = 3, #ARGV, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', key, ttl)
return 1
`;

const OBSERVE = `${COUNT}
local key, field = KEYS[1], ARGV[1]
if redis.call('EXISTS', key) == 0 then return 0 end
if redis.call('HEXISTS', key, field) == 0 and accounts(key) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', key, field, ARGV[2])
return 1
`;

type MirrorRedis = Redis & {
  mirrorApply(key: string, kind: string, id: string, created: number, ttl: number, limit: number): Promise<number>;
  mirrorReplace(key: string, seen: number, ttl: number, ...fields: string[]): Promise<number>;
};

export class RedisAccountMirrorStore implements AccountMirrorStore {
  private readonly redis: MirrorRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // EVALSHA with a fallback to EVAL: the scripts travel once per connection.
    redis.defineCommand('mirrorApply', { numberOfKeys: 1, lua: APPLY });
    redis.defineCommand('mirrorReplace', { numberOfKeys: 1, lua: REPLACE });
    redis.defineCommand('mirrorObserve', { numberOfKeys: 1, lua: OBSERVE });
    this.redis = redis as MirrorRedis;
  }

  async read(tenantId: string, provider: string): Promise<ProviderMirror | undefined> {
    const hash = await this.redis.hgetall(this.key(tenantId, provider));
    if (hash.v === undefined) return undefined;
    const accounts: MirroredAccount[] = [];
    for (const [field, value] of Object.entries(hash)) {
      if (!field.startsWith('a:')) continue;
      const bar = value.indexOf('|');
      const status = value.slice(bar + 1);
      accounts.push({ id: field.slice(2), createdAtMs: Number(value.slice(0, bar)), ...(status ? { status } : {}) });
    }
    return { version: Number(hash.v), complete: hash.complete === '1', newest: hash.newest, accounts };
  }

  async replace(tenantId: string, provider: string, seenVersion: number, accounts: MirroredAccount[], ttlMs: number): Promise<boolean> {
    if (accounts.length > MAX_ACCOUNTS_PER_ENTRY) return false;
    const fields = accounts.flatMap((a) => [`a:${a.id}`, `${a.createdAtMs}|${a.status ?? ''}`]);
    return (await this.redis.mirrorReplace(this.key(tenantId, provider), seenVersion, Math.max(1, Math.round(ttlMs)), ...fields)) === 1;
  }

  async apply(tenantId: string, provider: string, change: MirrorChange, ttlMs: number): Promise<void> {
    const created = change.createdAtMs ?? Date.now();
    await this.redis.mirrorApply(this.key(tenantId, provider), change.type, change.accountId, created, Math.max(1, Math.round(ttlMs)), MAX_ACCOUNTS_PER_ENTRY);
  }

  async observe(tenantId: string, accounts: Array<MirroredAccount & { provider: string }>): Promise<void> {
    if (accounts.length === 0) return;
    // One round trip for a whole list answer.
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & {
      mirrorObserve(key: string, field: string, value: string, limit: number): unknown;
    };
    for (const a of accounts) pipeline.mirrorObserve(this.key(tenantId, a.provider), `a:${a.id}`, `${a.createdAtMs}|${a.status ?? ''}`, MAX_ACCOUNTS_PER_ENTRY);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed) throw failed[0] as Error;
  }

  async forget(tenantId: string, provider: string): Promise<void> {
    await this.redis.del(this.key(tenantId, provider));
  }

  private key(tenantId: string, provider: string): string {
    return `${this.prefix}mirror:${entryKey(tenantId, provider)}`;
  }
}
