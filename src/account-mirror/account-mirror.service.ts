import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountEvent } from '../account-events/account-event';
import { AccountEvents } from '../account-events/account-events.service';
import type { AllConfig } from '../app.config';
import { RedisHealth } from '../redis/redis-health';
import { REDIS, RedisClient } from '../redis/redis.client';
import { AccountMirrorStore, MemoryAccountMirrorStore, MirrorChange, MirroredAccount, previewFrom, RedisAccountMirrorStore } from './account-mirror.store';

/** An account as the mirror takes it in: the service's view of a StackOne answer (already owner-checked or not: see `observed`). */
export interface ObservedAccount {
  id: string;
  provider: string;
  status?: string;
  ownerId: string;
  createdAt: string;
}

/** Events that could not be written while Redis was unreachable, remembered so their entries are dropped once it is back. */
const MAX_PENDING_INVALIDATIONS = 10_000;

/**
 * Per tenant, a mirror of its StackOne accounts (id → provider, status, creation time) and of
 * "none for this provider", so the accountAction preview needs no StackOne call. Used only when
 * StackOne's webhooks are configured (config `accountMirror.enabled`): they keep it fresh, every
 * account answer passing through the service refreshes it, and each entry expires after its TTL so a
 * lost webhook heals. While Redis is unreachable the mirror is skipped (the preview asks StackOne):
 * another replica's memory would be staler than no answer.
 */
@Injectable()
export class AccountMirror implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AccountMirror');
  private readonly store: AccountMirrorStore;
  private readonly shared: boolean;
  private readonly enabled: boolean;
  private readonly ttlMs: number;
  private readonly pendingInvalidations = new Map<string, { tenantId: string; provider: string }>();
  private flushTimer?: NodeJS.Timeout;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(REDIS) redis: RedisClient,
    private readonly health: RedisHealth,
    private readonly events: AccountEvents,
  ) {
    const { enabled, ttlMs, memoryMaxEntries } = config.get('accountMirror', { infer: true });
    const { keyPrefix } = config.get('redis', { infer: true });
    this.enabled = enabled;
    this.ttlMs = ttlMs;
    this.shared = redis !== null;
    this.store = redis ? new RedisAccountMirrorStore(redis, keyPrefix) : new MemoryAccountMirrorStore(memoryMaxEntries);
  }

  onModuleInit(): void {
    if (this.enabled) this.events.subscribe('account-mirror', (event) => this.onEvent(event));
  }

  onModuleDestroy(): void {
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** Whether the preview should consult the mirror at all. */
  isEnabled(): boolean {
    return this.enabled;
  }

  /**
   * The tenant's most recently created account for `provider`: from the mirror when it knows, else
   * from `ask` (StackOne's list of the tenant's accounts for it), whose answer is then mirrored,
   * positive or negative. An answer that may be cut short (`complete: false`) is not mirrored.
   */
  async newestFor(tenantId: string, provider: string, ask: () => Promise<{ accounts: ObservedAccount[]; complete: boolean }>): Promise<string | undefined> {
    const read = this.enabled ? await this.reach(() => this.store.read(tenantId, provider)) : undefined;
    const known = previewFrom(read?.value);
    if (known !== undefined) return known?.id;
    const answer = await ask();
    const accounts = answer.accounts.filter((a) => a.ownerId === tenantId && a.provider === provider).map(toMirrored);
    if (read && answer.complete) {
      await this.reach(() => this.store.replace(tenantId, provider, read.value?.version ?? 0, accounts, this.ttlMs));
    }
    return previewFrom({ version: 0, complete: true, accounts })?.id;
  }

  /** Accounts seen in a StackOne answer (list, read, update): refreshes entries that exist. Other owners' accounts never enter. */
  async observed(tenantId: string, accounts: ObservedAccount[]): Promise<void> {
    if (!this.enabled) return;
    const mine = accounts.filter((a) => a.ownerId === tenantId).map((a) => ({ ...toMirrored(a), provider: a.provider }));
    if (mine.length > 0) await this.reach(() => this.store.observe(tenantId, mine));
  }

  /** The tenant deleted an account through this service. */
  async removed(tenantId: string, account: ObservedAccount): Promise<void> {
    if (!this.enabled || account.ownerId !== tenantId) return;
    await this.change(tenantId, account.provider, { type: 'account.deleted', accountId: account.id });
  }

  async onEvent(event: AccountEvent): Promise<void> {
    const occurredAtMs = Date.parse(event.occurredAt);
    await this.change(event.tenantId, event.provider, {
      type: event.type,
      accountId: event.accountId,
      createdAtMs: Number.isFinite(occurredAtMs) ? occurredAtMs : Date.parse(event.receivedAt),
    });
  }

  private async change(tenantId: string, provider: string, change: MirrorChange): Promise<void> {
    if (!(await this.reach(() => this.store.apply(tenantId, provider, change, this.ttlMs)))) this.rememberInvalidation(tenantId, provider);
  }

  /** A store call, or undefined when Redis is known down, fails or times out (memory never fails). */
  private async reach<R>(op: () => Promise<R>): Promise<{ value: R } | undefined> {
    if (this.shared && !this.health.available()) {
      this.health.fellBack('account-mirror');
      return undefined;
    }
    try {
      return { value: await op() };
    } catch (err) {
      this.health.failed(err);
      this.health.fellBack('account-mirror');
      return undefined;
    }
  }

  // An event lost to a Redis outage would leave its entry stale until the TTL: the entry is dropped
  // once Redis answers again, so the next preview asks StackOne.
  private rememberInvalidation(tenantId: string, provider: string): void {
    if (this.pendingInvalidations.size >= MAX_PENDING_INVALIDATIONS) {
      this.logger.warn('Too many account events missed the mirror during a Redis outage; their entries stay until ACCOUNT_MIRROR_TTL_SECONDS.');
      return;
    }
    this.pendingInvalidations.set(`${tenantId.length}:${tenantId}:${provider}`, { tenantId, provider });
    // Every replica reads the entry, so it is dropped as soon as Redis is back, not at this one's next event.
    this.flushTimer ??= setInterval(() => void this.flushInvalidations(), 1_000).unref();
  }

  private async flushInvalidations(): Promise<void> {
    if (this.pendingInvalidations.size === 0 || !this.health.available()) return;
    for (const [key, { tenantId, provider }] of this.pendingInvalidations) {
      if (!(await this.reach(() => this.store.forget(tenantId, provider)))) return;
      this.pendingInvalidations.delete(key);
    }
    clearInterval(this.flushTimer);
    this.flushTimer = undefined;
  }
}

function toMirrored(a: ObservedAccount): MirroredAccount {
  const createdAtMs = Date.parse(a.createdAt);
  return { id: a.id, status: a.status, createdAtMs: Number.isFinite(createdAtMs) ? createdAtMs : 0 };
}
