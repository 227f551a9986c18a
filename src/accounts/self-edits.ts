import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AllConfig } from '../app.config';
import { StateUnavailableError } from '../state/shared-state';

/**
 * How far StackOne's event date may lie outside our PATCH's window and still be our edit: its clock
 * against ours, and the moment it stamps the event after applying the edit.
 */
export const SELF_EDIT_MARGIN_MS = 5_000;
/** How long a PATCH's window is kept: a late or redelivered event of our own edit is still known as ours. */
export const SELF_EDIT_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Accounts with windows one process keeps without Redis (about 150 bytes each). */
const SELF_EDIT_MEMORY_MAX_ACCOUNTS = 10_000;

/** The windows of this service's own edits, provided by the state layer. */
export const SELF_EDIT_STORE = Symbol('SELF_EDIT_STORE');

/** One PATCH of ours: from just before it was sent until its answer (or its deadline while it runs). */
export interface SelfEditWindow {
  id: string;
  fromMs: number;
  untilMs: number;
}

/** The windows of this service's own edits, per account key. */
export interface SelfEditStore {
  /** Adds (or, same id, replaces) a window, kept until `keepUntilMs`. */
  put(key: string, window: SelfEditWindow, keepUntilMs: number): Promise<void>;
  /** Whether a window of `key`, widened by `marginMs` on both sides, contains `atMs`. */
  covers(key: string, atMs: number, marginMs: number): Promise<boolean>;
}

const covering = (w: SelfEditWindow, atMs: number, marginMs: number): boolean => w.fromMs - marginMs <= atMs && atMs <= w.untilMs + marginMs;

/** This process's windows, bounded: past the bound the account least recently edited goes first. */
export class MemorySelfEditStore implements SelfEditStore {
  private readonly windows = new Map<string, { keepUntilMs: number; list: SelfEditWindow[] }>();

  constructor(private readonly maxAccounts = SELF_EDIT_MEMORY_MAX_ACCOUNTS) {}

  put(key: string, window: SelfEditWindow, keepUntilMs: number): Promise<void> {
    const now = Date.now();
    const entry = this.windows.get(key);
    const list = entry && entry.keepUntilMs > now ? entry.list.filter((w) => w.id !== window.id && w.untilMs + SELF_EDIT_RETENTION_MS > now) : [];
    this.windows.delete(key);
    this.windows.set(key, { keepUntilMs: Math.max(keepUntilMs, entry?.keepUntilMs ?? 0), list: [...list, window] });
    for (const oldest of this.windows.keys()) {
      if (this.windows.size <= this.maxAccounts) break;
      this.windows.delete(oldest);
    }
    return Promise.resolve();
  }

  covers(key: string, atMs: number, marginMs: number): Promise<boolean> {
    const entry = this.windows.get(key);
    if (!entry || entry.keepUntilMs <= Date.now()) return Promise.resolve(false);
    return Promise.resolve(entry.list.some((w) => covering(w, atMs, marginMs)));
  }
}

/**
 * Shared by every replica: one sorted set per account, member `<from>:<id>` scored by the window's
 * end, so a look-up reads only the windows ending after the event. Each call is one MULTI, bounded
 * by the client's command timeout.
 */
export class RedisSelfEditStore implements SelfEditStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async put(key: string, window: SelfEditWindow, keepUntilMs: number): Promise<void> {
    const k = this.key(key);
    const now = Date.now();
    const member = `${window.fromMs}:${window.id}`;
    const result = await this.redis
      .multi()
      .zadd(k, window.untilMs, member)
      .zremrangebyscore(k, '-inf', now - SELF_EDIT_RETENTION_MS)
      // A day past the window: another PATCH's life is at most its deadline (seconds) shorter or longer.
      .pexpire(k, Math.max(1, keepUntilMs - now))
      .exec();
    const failed = result?.find(([err]) => err);
    if (!result || failed) throw failed?.[0] ?? new Error('self-edit marker not written');
  }

  async covers(key: string, atMs: number, marginMs: number): Promise<boolean> {
    const members = await this.redis.zrangebyscore(this.key(key), atMs - marginMs, '+inf');
    return members.some((m) => Number(m.slice(0, m.indexOf(':'))) - marginMs <= atMs);
  }

  private key(key: string): string {
    return `${this.prefix}self-edit:${key}`;
  }
}

/** A PATCH of ours under way: `answered` narrows its window to the moment StackOne answered. */
export interface SelfEdit {
  answered(): Promise<void>;
}

/**
 * The service's own edits of accounts (PATCH label/metadata), so the account.updated StackOne sends
 * for them completes no connect session (docs/sessions.md). A window is written before the PATCH is
 * sent; an account.updated whose event date falls inside it (± SELF_EDIT_MARGIN_MS) is ours.
 *
 * Redis when REDIS_URL is set (replicas share the windows), and always this process's memory too
 * (the state layer's declaration). When Redis cannot take a window, the PATCH still goes ahead (an
 * edit the tenant asked for is not refused for the sake of a session) and a warn line says so: that
 * event handled by another replica, or after a restart, may then complete a session opened to update
 * that account.
 */
@Injectable()
export class SelfEdits {
  private readonly logger = new Logger('SelfEdits');
  private readonly patchDeadlineMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(SELF_EDIT_STORE) private readonly store: SelfEditStore,
  ) {
    this.patchDeadlineMs = config.get('stackone', { infer: true }).timeoutMs;
  }

  /** Call just before the PATCH is sent; never fails. Until answered, the window runs to the PATCH's deadline. */
  async begin(tenantId: string, accountId: string): Promise<SelfEdit> {
    const key = accountKey(tenantId, accountId);
    const fromMs = Date.now();
    const window: SelfEditWindow = { id: randomUUID(), fromMs, untilMs: fromMs + this.patchDeadlineMs };
    await this.put(key, window, accountId);
    return { answered: () => this.put(key, { ...window, untilMs: Math.min(window.untilMs, Date.now()) }, accountId) };
  }

  /** Whether an account.updated that happened at `atMs` (StackOne's event date) is an edit of ours: this replica's marks, then the fleet's. */
  madeHere(tenantId: string, accountId: string, atMs: number): Promise<boolean> {
    return this.store.covers(accountKey(tenantId, accountId), atMs, SELF_EDIT_MARGIN_MS);
  }

  private async put(key: string, window: SelfEditWindow, accountId: string): Promise<void> {
    try {
      await this.store.put(key, window, window.untilMs + SELF_EDIT_RETENTION_MS);
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      this.logger.warn(`Edit of account ${accountId} marked in this replica's memory only (${err.reason}): its account.updated, if handled elsewhere, may complete a session opened to update that account.`);
    }
  }
}

/** Length-prefixed tenant id: no tenant id can make another tenant's key. */
function accountKey(tenantId: string, accountId: string): string {
  return `${tenantId.length}:${tenantId}:${accountId}`;
}
