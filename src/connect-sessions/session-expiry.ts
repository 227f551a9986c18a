import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { EventBus } from '../event-bus/event-bus';
import { MetricsService } from '../observability/metrics.service';
import { SessionRecord, sessionStatus, StoredSession } from './session-record';
import { ExpiredSession, SESSION_STORE, SessionStore } from './session.store';

/** How often each replica counts sessions that expired without being read. */
const EXPIRY_SWEEP_INTERVAL_MS = 15_000;
const SWEEP_BATCH = 500;

/**
 * Sessions that expired pending: each is counted and announced (connect_session.expired) once across
 * the fleet, by whichever replica claims it first: a read that finds it expired, or the sweep every
 * replica runs for those nobody reads. A pending session needs no write to read as expired.
 */
@Injectable()
export class SessionExpiry implements OnModuleInit, OnModuleDestroy {
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.sweepTimer = setInterval(() => void this.sweepExpired(), EXPIRY_SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /** Claims and announces up to a batch of expired sessions; while the store is unavailable it waits for the next round. */
  async sweepExpired(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (const session of await this.store.sweepExpired(Date.now(), SWEEP_BATCH)) await this.expired(session);
    } catch {
      // The state layer has marked Redis down; the next round sweeps again.
    } finally {
      this.sweeping = false;
    }
  }

  /** A session a read found expired: announced here unless another replica or the sweep claimed it first. */
  async countIfExpired(stored: StoredSession, now: number): Promise<void> {
    if (sessionStatus(stored, now) !== 'expired') return;
    try {
      if (await this.store.claimExpired(stored.record)) await this.expired(stored.record);
    } catch {
      // The sweep counts it later.
    }
  }

  /**
   * connect_session.expired, once per session: only the replica whose claim counted it publishes it.
   * No source would deliver an expiry again: one not queued is logged and counted by the relay.
   */
  private async expired(session: ExpiredSession & Partial<Pick<SessionRecord, 'label' | 'expiresAt'>>): Promise<void> {
    this.metrics.sessionsExpired.inc({ provider: session.provider ?? 'none' });
    await this.bus.publish({
      type: 'connect_session.expired',
      tenantId: session.tenantId,
      sessionId: session.sessionId,
      provider: session.provider,
      label: session.label,
      status: 'expired',
      occurredAt: session.expiresAt ?? new Date().toISOString(),
    });
  }
}
