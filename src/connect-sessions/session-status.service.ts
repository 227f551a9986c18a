import { Inject, Injectable, Logger, NotFoundException, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountEvent } from '../account-events/account-event';
import { AccountEvents, RedeliveryNeededError } from '../account-events/account-events.service';
import { SelfEdits } from '../accounts/self-edits';
import { RetryLaterException } from '../common/problem.exception';
import { Tenant } from '../auth/tenant';
import { AllConfig } from '../config/config.types';
import { EventLog } from '../events/event-log.service';
import type { FeedEventData } from '../events/feed-event';
import { MetricsService } from '../observability/metrics.service';
import { ProvidersService } from '../providers/providers.service';
import { RedisHealth } from '../redis/redis-health';
import { REDIS, RedisClient } from '../redis/redis.client';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { EXPIRES_IN_BOUNDS } from './dto/create-connect-session.dto';
import { ListSessionsQueryDto, SESSION_PAGE_SIZE } from './dto/list-sessions.query.dto';
import { SessionListResponseDto, SessionStatusResponseDto } from './dto/session-status.response.dto';
import {
  actionOf,
  eventKey,
  eventTimeMs,
  matchSession,
  needsProviderCategory,
  SessionCompletion,
  SessionRecord,
  sessionStatus,
  StoredSession,
} from './session-record';
import { ExpiredSession, MemorySessionStore, RedisSessionStore, SessionStore } from './session.store';

const SESSION_NOT_FOUND = 'No such connect session for your tenant.';
/** How often each replica counts sessions that expired without being read. */
const EXPIRY_SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH = 500;
const READ_BATCH = 200;
/** The most recent sessions of a tenant an account event is matched against. */
const MATCH_SCAN_LIMIT = 1_000;
const COMPLETE_ATTEMPTS = 3;

/** The session store could not be used for an account event: its source should deliver it again (the webhook answers 503). */
class SessionStoreUnreachableError extends RedeliveryNeededError {
  override readonly name = 'SessionStoreUnreachableError';
  constructor() {
    super('session store unreachable: the event completes no session now');
  }
}

/** 503 + Retry-After: while Redis is unreachable, session status cannot be read. */
class SessionsUnavailableError extends RetryLaterException {
  constructor() {
    super('Session status cannot be read right now; retry after Retry-After seconds.');
  }
}

export interface SessionOrigin {
  /** The caller asked to re-link `response.accountId`. */
  relink: boolean;
  /** Overrides the response's provider (a re-link's account provider). */
  provider?: string;
}

/**
 * Session records, the status API and completion: every session this service creates is recorded
 * (never its token), account events from the AccountEvents bus complete them (rule: matchSession; never
 * an edit of the service's own, see SelfEdits), and pending sessions past expiresAt read as expired. Redis when REDIS_URL is set (replicas share
 * it), memory otherwise. While Redis is down, creation still succeeds (the record waits in memory and
 * is written when Redis is back), reads get 503 and account events are asked to be delivered again.
 */
@Injectable()
export class SessionStatusService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SessionStatus');
  private readonly store: SessionStore;
  private readonly storeIsRedis: boolean;
  private readonly retentionMs: number;
  /** SESSION_MEMORY_MAX_ENTRIES: the memory store's bound, and the bound of the records waiting for Redis. */
  private readonly memoryMaxEntries: number;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;
  /** Sessions created while Redis was unreachable, in creation order, until they are written. */
  private readonly unrecorded = new Map<string, SessionRecord>();
  private flushing?: Promise<number>;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(REDIS) redis: RedisClient,
    private readonly health: RedisHealth,
    private readonly metrics: MetricsService,
    private readonly events: AccountEvents,
    private readonly providers: ProvidersService,
    private readonly selfEdits: SelfEdits,
    // Optional so specs that build this service alone need no feed.
    @Optional() private readonly eventLog?: EventLog,
  ) {
    const { retentionSeconds, memoryMaxEntries } = config.get('sessions', { infer: true });
    const { keyPrefix } = config.get('redis', { infer: true });
    this.retentionMs = retentionSeconds * 1000;
    this.memoryMaxEntries = memoryMaxEntries;
    this.store = redis ? new RedisSessionStore(redis, keyPrefix, this.retentionMs) : new MemorySessionStore(memoryMaxEntries);
    this.storeIsRedis = redis !== null;
  }

  onModuleInit(): void {
    this.events.subscribe('session-status', (event) => this.onAccountEvent(event));
    this.health.onRecovered(() => void this.flushUnrecorded());
    this.sweepTimer = setInterval(() => void this.sweepExpired(), EXPIRY_SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /**
   * Records a session just created. Never fails: while Redis is unreachable the record waits in this
   * replica's memory (at most SESSION_MEMORY_MAX_ENTRIES) and is written when Redis is back, so the session's
   * status and its completion by StackOne's retried webhook survive an outage.
   */
  async record(tenant: Tenant, session: ConnectSessionResponseDto, origin: SessionOrigin): Promise<void> {
    const provider = origin.provider ?? session.provider;
    this.metrics.sessionsCreated.inc({ provider: provider ?? 'none' });
    const record: SessionRecord = {
      tenantId: tenant.id,
      sessionId: session.sessionId,
      provider,
      categories: session.categories,
      accountId: session.accountId,
      relink: origin.relink || undefined,
      label: session.label,
      accountAction: session.accountAction,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      principal: tenant.principal,
    };
    const added = await this.health.attempt('sessions', this.storeIsRedis, () => this.store.add(record, Math.max(1, this.ttlMs(record))));
    if (added.ok) return;
    this.keepUnrecorded(record);
    // Ids only: the token and hosted link were never part of the record.
    this.logger.warn(`Session ${record.sessionId} of tenant ${record.tenantId} not recorded yet (${added.reason}): kept in this replica's memory until Redis is back.`);
  }

  /** Kept until `expiresAt` + the retention (≤ 0: past it, nothing to keep). */
  private ttlMs(record: SessionRecord): number {
    return Date.parse(record.expiresAt) + this.retentionMs - Date.now();
  }

  /** Oldest dropped first past the bound: those are the nearest to expiring anyway. */
  private keepUnrecorded(record: SessionRecord): void {
    this.unrecorded.set(`${record.tenantId.length}:${record.tenantId}:${record.sessionId}`, record);
    for (const [key, old] of this.unrecorded) {
      if (this.unrecorded.size <= this.memoryMaxEntries) break;
      this.unrecorded.delete(key);
      this.logger.warn(`Session ${old.sessionId} of tenant ${old.tenantId} dropped unrecorded: more than ${this.memoryMaxEntries} waited for Redis (SESSION_MEMORY_MAX_ENTRIES).`);
    }
  }

  /**
   * Writes the sessions that waited for Redis, in creation order; stops at the first failure (the
   * next recovery goes on). One flush at a time: a caller during one waits for it.
   */
  flushUnrecorded(): Promise<number> {
    if (this.unrecorded.size === 0) return Promise.resolve(0);
    this.flushing ??= this.writeUnrecorded().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeUnrecorded(): Promise<number> {
    let written = 0;
    for (const [key, record] of this.unrecorded) {
      const ttlMs = this.ttlMs(record);
      if (ttlMs > 0) {
        const added = await this.health.attempt('sessions', this.storeIsRedis, () => this.store.add(record, ttlMs));
        if (!added.ok) break;
        written += 1;
      }
      this.unrecorded.delete(key);
    }
    if (written > 0) this.logger.log(`Recorded ${written} session(s) created while Redis was unreachable.`);
    return written;
  }

  async get(tenant: Tenant, sessionId: string): Promise<SessionStatusResponseDto> {
    const stored = await this.reach(() => this.store.get(tenant.id, sessionId));
    if (!stored || stored.record.tenantId !== tenant.id) throw new NotFoundException(SESSION_NOT_FOUND);
    const now = Date.now();
    await this.countIfExpired(stored, now);
    return toView(stored, now);
  }

  async list(tenant: Tenant, query: ListSessionsQueryDto): Promise<SessionListResponseDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? SESSION_PAGE_SIZE.default;
    const skip = (page - 1) * pageSize;
    const now = Date.now();
    const found: StoredSession[] = [];
    let matched = 0;
    let hasMore = false;
    await this.reach(async () => {
      for await (const stored of this.store.newest(tenant.id, READ_BATCH)) {
        if (stored.record.tenantId !== tenant.id) continue;
        if (query.provider !== undefined && stored.record.provider !== query.provider) continue;
        if (query.status !== undefined && sessionStatus(stored, now) !== query.status) continue;
        matched += 1;
        if (matched <= skip) continue;
        if (found.length === pageSize) {
          hasMore = true;
          break;
        }
        found.push(stored);
      }
    });
    await Promise.all(found.map((s) => this.countIfExpired(s, now)));
    return { data: found.map((s) => toView(s, now)), page, pageSize, hasMore };
  }

  /** Completes the session `event` matches, if any. Idempotent; throws when the store cannot be reached (the bus logs it). */
  async onAccountEvent(event: AccountEvent): Promise<void> {
    if (event.type !== 'account.created' && event.type !== 'account.updated') return;
    // Without the store no session can be completed: StackOne is asked to deliver the event again
    // (503), and its retry after the outage completes the session (recorded meanwhile, see record()).
    if (this.storeIsRedis && !this.health.available()) {
      this.health.fellBack('sessions');
      throw new SessionStoreUnreachableError();
    }
    try {
      // A session created during an outage must be in the store before an event can complete it.
      if (this.unrecorded.size > 0) await this.flushUnrecorded();
      for (let attempt = 0; attempt < COMPLETE_ATTEMPTS; attempt++) {
        // Another event may complete the chosen session first: then look again.
        if (await this.completeOnce(event)) return;
      }
    } catch (err) {
      // The relay could not queue the completion: already a redelivery request.
      if (err instanceof RedeliveryNeededError) throw err;
      this.health.failed(err);
      throw new SessionStoreUnreachableError();
    }
  }

  /** Counts sessions that expired unread; every replica sweeps, each session is claimed once. */
  async sweepExpired(): Promise<void> {
    if (this.sweeping || (this.storeIsRedis && !this.health.available())) return;
    this.sweeping = true;
    try {
      const expired = await this.store.sweepExpired(Date.now(), SWEEP_BATCH);
      for (const session of expired) {
        this.metrics.sessionsExpired.inc({ provider: session.provider ?? 'none' });
        await this.logExpired(session);
      }
    } catch (err) {
      this.health.failed(err);
    } finally {
      this.sweeping = false;
    }
  }

  /** False when nothing was completed and another look may find a session (the chosen one was taken). */
  private async completeOnce(event: AccountEvent): Promise<boolean> {
    const at = eventTimeMs(event);
    const sessions: StoredSession[] = [];
    for await (const stored of this.store.newest(event.tenantId, READ_BATCH)) {
      // Created more than the longest lifetime before the event: it and all older ones were expired by then.
      if (Date.parse(stored.record.createdAt) < at - EXPIRES_IN_BOUNDS.max * 1000) break;
      sessions.push(stored);
      if (sessions.length >= MATCH_SCAN_LIMIT) break;
    }
    // This very event completed a session before: its source delivers it again because queueing the
    // completion failed then, so queue it again (the queue drops it if it was queued after all).
    const key = eventKey(event);
    const done = sessions.find((s) => s.completion?.eventKey === key);
    if (done?.completion) {
      await this.eventLog?.relayAgain('connect_session.completed', done.completion.completedAt, completedEventData(done.record, event));
      return true;
    }
    const category = sessions.some(needsProviderCategory) ? await this.providers.categoryOf(event.provider) : undefined;
    const match = matchSession(event, event.tenantId, sessions, category);
    if (!match) return true;
    // Our own PATCH of the account: true as an account event (the feed has it), but nobody connected anything.
    if (event.type === 'account.updated' && (await this.selfEdits.madeHere(event.tenantId, event.accountId, at))) return true;
    const completion: SessionCompletion = {
      accountId: event.accountId,
      completedAt: new Date(at).toISOString(),
      action: actionOf(event),
      provider: event.provider,
      eventKey: key,
    };
    if (!(await this.store.complete(match.record, completion))) return false;
    // The session's own provider label, so completed / created per label is a conversion rate.
    this.metrics.sessionsCompleted.inc({ provider: match.record.provider ?? 'none', action: completion.action });
    this.metrics.sessionCompletion.observe(Math.max(0, (at - Date.parse(match.record.createdAt)) / 1000));
    await this.eventLog?.append('connect_session.completed', completion.completedAt, completedEventData(match.record, event));
    return true;
  }

  private async countIfExpired(stored: StoredSession, now: number): Promise<void> {
    if (sessionStatus(stored, now) !== 'expired') return;
    try {
      if (await this.store.claimExpired(stored.record)) {
        this.metrics.sessionsExpired.inc({ provider: stored.record.provider ?? 'none' });
        await this.logExpired(stored.record);
      }
    } catch (err) {
      // The sweep counts it later.
      this.health.failed(err);
    }
  }

  /**
   * The feed's connect_session.expired, once per session: only the replica whose claim counted it
   * logs it. No source would deliver an expiry again: one not queued is logged and counted by the relay.
   */
  private async logExpired(session: ExpiredSession & Partial<Pick<SessionRecord, 'label' | 'expiresAt'>>): Promise<void> {
    await this.eventLog
      ?.append('connect_session.expired', session.expiresAt ?? new Date().toISOString(), {
        tenantId: session.tenantId,
        sessionId: session.sessionId,
        provider: session.provider,
        label: session.label,
        status: 'expired',
      })
      .catch((err: unknown) => {
        if (!(err instanceof RedeliveryNeededError)) throw err;
      });
  }

  /** A store read, or 503 when Redis is known down, fails or times out. */
  private async reach<R>(op: () => Promise<R>): Promise<R> {
    const result = await this.health.attempt('sessions', this.storeIsRedis, op);
    if (!result.ok) throw new SessionsUnavailableError();
    return result.value;
  }
}

function completedEventData(record: SessionRecord, event: AccountEvent): FeedEventData {
  return {
    tenantId: record.tenantId,
    tenantName: event.tenantName,
    sessionId: record.sessionId,
    accountId: event.accountId,
    provider: record.provider ?? event.provider,
    label: record.label,
    status: 'completed',
  };
}

function toView(stored: StoredSession, now: number): SessionStatusResponseDto {
  const { record, completion } = stored;
  return {
    sessionId: record.sessionId,
    status: sessionStatus(stored, now),
    // A provider-less session shows the provider the customer connected.
    provider: record.provider ?? completion?.provider,
    categories: record.categories,
    accountId: completion?.accountId ?? record.accountId,
    accountAction: completion?.action ?? record.accountAction,
    label: record.label,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    completedAt: completion?.completedAt,
  };
}
