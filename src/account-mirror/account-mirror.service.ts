import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountEvent } from '../account-events/account-event';
import type { AllConfig } from '../app.config';
import { HandlerOutcome, OnEvent } from '../event-bus/event-bus';
import { StateUnavailableError } from '../state/shared-state';
import { ACCOUNT_MIRROR_STORE, AccountMirrorStore, MirrorChange, MirroredAccount, previewFrom } from './account-mirror.store';

/** An account as the mirror takes it in: the service's view of a StackOne answer (already owner-checked or not: see `observed`). */
export interface ObservedAccount {
  id: string;
  provider: string;
  status?: string;
  ownerId: string;
  createdAt: string;
}

/**
 * Per tenant, a mirror of its StackOne accounts (id → provider, status, creation time) and of
 * "none for this provider", so the accountAction preview needs no StackOne call. Used only when
 * StackOne's webhooks are configured (config `accountMirror.enabled`): they keep it fresh, every
 * account answer passing through the service refreshes it, and each entry expires after its TTL so a
 * lost webhook heals. While Redis is unreachable the mirror is skipped (the preview asks StackOne):
 * another replica's memory would be staler than no answer; an entry an event could not update then
 * is dropped once Redis is back (the store's held `forget`).
 */
@Injectable()
export class AccountMirror {
  private readonly enabled: boolean;
  private readonly ttlMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(ACCOUNT_MIRROR_STORE) private readonly store: AccountMirrorStore,
  ) {
    const { enabled, ttlMs } = config.get('accountMirror', { infer: true });
    this.enabled = enabled;
    this.ttlMs = ttlMs;
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

  /**
   * A reconciliation sweep's complete reading of the tenant's accounts for `provider` (every page of
   * StackOne's project list, started at `roundStartedAtMs`): an entry that misses one of them (a
   * creation whose webhook never came) or still holds one StackOne no longer lists (a lost
   * deletion) is dropped, so the next preview asks StackOne; otherwise the statuses are refreshed.
   * Dropping, not rewriting: an event that lands during the sweep stays right. True when dropped.
   */
  async reconciled(tenantId: string, provider: string, accounts: ObservedAccount[], roundStartedAtMs: number): Promise<boolean> {
    if (!this.enabled) return false;
    const mine = accounts.filter((a) => a.ownerId === tenantId && a.provider === provider);
    const read = await this.reach(() => this.store.read(tenantId, provider));
    const entry = read?.value;
    if (!entry) return false;
    const listed = new Set(mine.map((a) => a.id));
    const mirrored = new Set(entry.accounts.map((a) => a.id));
    const missed = mine.some((a) => !mirrored.has(a.id));
    const gone = entry.accounts.some((a) => !listed.has(a.id) && a.createdAtMs < roundStartedAtMs);
    if (missed || gone) {
      await this.reach(() => this.store.forget(tenantId, provider));
      return true;
    }
    await this.observed(tenantId, mine);
    return false;
  }

  /** The tenant deleted an account through this service. */
  async removed(tenantId: string, account: ObservedAccount): Promise<void> {
    if (!this.enabled || account.ownerId !== tenantId) return;
    await this.change(tenantId, account.provider, { type: 'account.deleted', accountId: account.id });
  }

  /** Best effort: an entry an event could not update is dropped (see change), never asked for again. */
  @OnEvent(['account.created', 'account.updated', 'account.deleted'])
  async onEvent(event: AccountEvent): Promise<HandlerOutcome> {
    if (!this.enabled) return 'taken';
    const occurredAtMs = Date.parse(event.occurredAt);
    await this.change(event.tenantId, event.provider, {
      type: event.type,
      accountId: event.accountId,
      createdAtMs: Number.isFinite(occurredAtMs) ? occurredAtMs : Date.parse(event.receivedAt),
    });
    return 'taken';
  }

  private async change(tenantId: string, provider: string, change: MirrorChange): Promise<void> {
    // An event lost to a Redis outage would leave its entry stale until the TTL: the entry is
    // dropped instead, at once or (held by the state layer) as soon as Redis is back.
    if (!(await this.reach(() => this.store.apply(tenantId, provider, change, this.ttlMs)))) await this.store.forget(tenantId, provider);
  }

  /** A store call, or undefined when Redis is unavailable (the state layer has counted it). */
  private async reach<R>(op: () => Promise<R>): Promise<{ value: R } | undefined> {
    try {
      return { value: await op() };
    } catch (err) {
      if (err instanceof StateUnavailableError) return undefined;
      throw err;
    }
  }
}

function toMirrored(a: ObservedAccount): MirroredAccount {
  const createdAtMs = Date.parse(a.createdAt);
  return { id: a.id, status: a.status, createdAtMs: Number.isFinite(createdAtMs) ? createdAtMs : 0 };
}
