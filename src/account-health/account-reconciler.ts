import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountMirror, ObservedAccount } from '../account-mirror/account-mirror.service';
import type { AllConfig } from '../app.config';
import { REDIS, RedisClient } from '../redis/redis.client';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { LinkedAccountWire } from '../stackone/stackone.types';
import { AccountHealthService } from './account-health.service';
import { toHealthInput } from './health.mapping';
import type { HealthState } from './health';

/** StackOne's largest page. */
export const RECONCILE_PAGE_SIZE = 100;
/** A round reads at most this many pages (100,000 accounts); the rest wait for the next round. */
const MAX_PAGES = 1_000;

export interface RoundResult {
  /** False when another replica holds this interval, or a round is running here. */
  swept: boolean;
  pages: number;
  accounts: number;
  /** Every page was read (only then is the mirror repaired). */
  complete: boolean;
  mirrorEntriesDropped: number;
}

/**
 * The reconciliation sweep: every ACCOUNT_RECONCILE_INTERVAL_SECONDS one replica of the fleet (a
 * Redis lock held for the interval; without Redis, each process) reads all of the project's
 * accounts page by page, observes each one's health for its owner, and repairs the account mirror.
 * It uses a bounded share of the outbound budget: a pause between pages, and the round stops at
 * the first refusal of the budget (session creation keeps the rest). Lost webhooks heal here.
 */
@Injectable()
export class AccountReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AccountReconciler');
  private readonly intervalMs: number;
  private readonly pagePauseMs: number;
  private readonly lockKey: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<RoundResult>;
  private readonly stopping = new AbortController();

  constructor(
    config: ConfigService<AllConfig, true>,
    private readonly stackone: StackOneHttpService,
    private readonly health: AccountHealthService,
    private readonly mirror: AccountMirror,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {
    const { reconcileIntervalMs, reconcilePagePauseMs } = config.get('accountHealth', { infer: true });
    this.intervalMs = reconcileIntervalMs;
    this.pagePauseMs = reconcilePagePauseMs;
    this.lockKey = `${config.get('redis', { infer: true }).keyPrefix}health-sweep-lock`;
  }

  onApplicationBootstrap(): void {
    if (this.intervalMs === 0) return;
    // The first round one interval after start: a fleet deploying together does not sweep at once.
    this.timer = setInterval(() => void this.round(), this.intervalMs).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  /** One round, if this replica gets this interval; one at a time per process. */
  round(): Promise<RoundResult> {
    this.running ??= this.claimAndSweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async claimAndSweep(): Promise<RoundResult> {
    const none: RoundResult = { swept: false, pages: 0, accounts: 0, complete: false, mirrorEntriesDropped: 0 };
    if (!(await this.claim())) return none;
    return this.sweep();
  }

  /** SET NX PX: the first replica of the interval sweeps; the lock expires with it (no release: one round per interval). */
  private async claim(): Promise<boolean> {
    if (!this.redis) return true;
    try {
      return (await this.redis.set(this.lockKey, randomUUID(), 'PX', Math.max(1, this.intervalMs - 100), 'NX')) === 'OK';
    } catch (err) {
      this.logger.warn(`Reconciliation skipped this interval: the sweep lock could not be taken (${err instanceof Error ? err.message : String(err)}).`);
      return false;
    }
  }

  private async sweep(): Promise<RoundResult> {
    const started = Date.now();
    const seen: ObservedAccount[] = [];
    const tally = new Map<string, { state: HealthState; provider: string; count: number }>();
    let pages = 0;
    let complete = false;
    let stoppedBy: string | undefined;
    for (let page = 1; page <= MAX_PAGES && !this.stopping.signal.aborted; page++) {
      let accounts: LinkedAccountWire[];
      try {
        accounts = await this.stackone.listProjectAccounts({ page, page_size: RECONCILE_PAGE_SIZE });
      } catch (err) {
        stoppedBy = err instanceof StackOneApiError && (err.kind === 'rate-limited' || err.kind === 'tenant-rate-limited') ? 'the outbound budget refused' : `StackOne failed (${err instanceof Error ? err.name : typeof err})`;
        break;
      }
      pages++;
      for (const state of await Promise.all(accounts.map((a) => this.observe(a)))) {
        if (!state) continue;
        const entry = tally.get(`${state.state}|${state.provider}`) ?? { ...state, count: 0 };
        entry.count++;
        tally.set(`${state.state}|${state.provider}`, entry);
      }
      for (const a of accounts) seen.push({ id: a.id, provider: a.provider, status: a.status, ownerId: a.origin_owner_id, createdAt: a.created_at });
      if (accounts.length < RECONCILE_PAGE_SIZE) {
        complete = true;
        break;
      }
      await sleep(this.pagePauseMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    const mirrorEntriesDropped = complete ? await this.repairMirror(seen, started) : 0;
    if (complete) await this.health.recount([...tally.values()]);
    const summary = `${seen.length} account(s) in ${pages} page(s), ${Date.now() - started} ms`;
    if (complete) this.logger.log(`Reconciliation round done: ${summary}; ${mirrorEntriesDropped} mirror entr(y/ies) dropped.`);
    else this.logger.warn(`Reconciliation round stopped early (${stoppedBy ?? (pages >= MAX_PAGES ? `${MAX_PAGES} pages read` : 'shutting down')}): ${summary}; the next round reads again.`);
    return { swept: true, pages, accounts: seen.length, complete, mirrorEntriesDropped };
  }

  /** Its owner is the tenant. One account failing does not stop the round (undefined). */
  private async observe(a: LinkedAccountWire): Promise<{ state: HealthState; provider: string } | undefined> {
    try {
      return { state: (await this.health.observe(a.origin_owner_id, toHealthInput(a))).state, provider: a.provider };
    } catch (err) {
      this.logger.warn(`Account ${a.id} of tenant ${a.origin_owner_id} not observed by the sweep (${err instanceof Error ? err.name : typeof err}).`);
      return undefined;
    }
  }

  private async repairMirror(seen: ObservedAccount[], startedAtMs: number): Promise<number> {
    const groups = new Map<string, { tenantId: string; provider: string; accounts: ObservedAccount[] }>();
    for (const a of seen) {
      const key = `${a.ownerId.length}:${a.ownerId}:${a.provider}`;
      const group = groups.get(key) ?? { tenantId: a.ownerId, provider: a.provider, accounts: [] };
      group.accounts.push(a);
      groups.set(key, group);
    }
    let dropped = 0;
    for (const { tenantId, provider, accounts } of groups.values()) {
      if (await this.mirror.reconciled(tenantId, provider, accounts, startedAtMs).catch(() => false)) dropped++;
    }
    return dropped;
  }
}
