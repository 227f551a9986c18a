import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AccountEvent } from '../account-events/account-event';
import type { SessionEvent } from '../connect-sessions/session-event';
import { EventBus, HandlerOutcome, OnEvent } from '../event-bus/event-bus';
import { StateUnavailableError } from '../state/shared-state';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { ACCOUNT_HEALTH_STORE, AccountHealthStore, HealthCounts, HealthTransition } from './account-health.store';
import { AccountHealth, healthStateOf, newestReasonTime, reasonsOf, StatusReasonLike } from './health';
import { AccountBrokenEvent, AccountRecoveredEvent } from './health-event';
import { HealthMetrics } from './health-metrics';
import { ProviderIncidents } from './provider-incidents';
import { toHealthInput } from './health.mapping';

/** An account as health needs it: the service's camelCase view of StackOne's answer (AccountResponseDto fits). */
export interface HealthInput {
  id: string;
  provider: string;
  status?: string | null;
  statusReasons?: readonly StatusReasonLike[] | null;
  originOwnerId: string;
  originOwnerName?: string;
  label?: string;
  updatedAt?: string;
}

/**
 * Every account the service sees goes through `observe`: its health is computed, recorded, and a
 * transition into `broken` (or from `broken` to `healthy`) is published once, fleet-wide, by the
 * caller whose compare-and-set wins it. While the store is unreachable nothing is recorded and no
 * event goes out: the next read or sweep finds the transition again.
 */
@Injectable()
export class AccountHealthService implements OnApplicationShutdown {
  private readonly logger = new Logger('AccountHealth');
  private readonly reading = new Set<Promise<void>>();

  constructor(
    @Inject(ACCOUNT_HEALTH_STORE) private readonly store: AccountHealthStore,
    private readonly bus: EventBus,
    private readonly stackone: StackOneHttpService,
    private readonly metrics: HealthMetrics,
    private readonly incidents: ProviderIncidents,
  ) {}

  /** The account's health; records it and publishes its transition when `account` belongs to `tenantId`. */
  async observe(tenantId: string, account: HealthInput, now = new Date()): Promise<AccountHealth> {
    const state = healthStateOf(account.status);
    const reasons = reasonsOf(account.statusReasons);
    const reasonSince = newestReasonTime(account.statusReasons);
    // Another owner's account is never recorded or announced (no event for another tenant).
    if (account.originOwnerId !== tenantId) return { state, since: reasonSince ?? account.updatedAt ?? now.toISOString(), reasons };
    let transition: HealthTransition;
    try {
      transition = await this.store.record(tenantId, account.id, account.provider, { state, since: reasonSince ?? now.toISOString() });
    } catch (err) {
      if (!(err instanceof StateUnavailableError)) throw err;
      return { state, since: reasonSince ?? account.updatedAt ?? now.toISOString(), reasons };
    }
    const { previous, changed } = transition;
    const since = changed ? (reasonSince ?? now.toISOString()) : (reasonSince ?? previous?.since ?? now.toISOString());
    if (changed) await this.transitioned(tenantId, account, previous, { state, since, reasons }, now);
    const relinkedAt = !changed && state === 'broken' ? previous?.relinkedAt : undefined;
    return { state, since, reasons, ...(relinkedAt !== undefined && { relinkedAt }) };
  }

  /**
   * StackOne's account events carry no status: the account is read once, after the other handlers'
   * work is queued, without holding StackOne's webhook answer. A failed read is logged and left to
   * the next read or sweep (StackOne is not asked to deliver the webhook again for it).
   */
  @OnEvent(['account.created', 'account.updated'], { priority: 1 })
  onAccountEvent(event: AccountEvent): Promise<HandlerOutcome> {
    const read = this.readAndObserve(event.tenantId, event.accountId).finally(() => this.reading.delete(read));
    this.reading.add(read);
    return Promise.resolve('taken');
  }

  /**
   * A re-link session completed: marked on the account's broken episode, so its recovery is counted
   * as a re-link's, and a re-link that did not repair it shows on the account (`health.relinkedAt`).
   * Runs before the account's own read (that waits for the account event's handlers). Best effort.
   */
  @OnEvent('connect_session.completed')
  async onSessionCompleted(event: SessionEvent): Promise<HandlerOutcome> {
    if (event.relink !== true || event.accountId === undefined) return 'taken';
    await this.store.markRelinked(event.tenantId, event.accountId, event.occurredAt).catch((err: unknown) => {
      if (!(err instanceof StateUnavailableError)) throw err;
    });
    return 'taken';
  }

  /** A deleted account leaves the counts; a later account with its id starts afresh. Best effort. */
  @OnEvent('account.deleted')
  async onAccountDeleted(event: AccountEvent): Promise<HandlerOutcome> {
    await this.forget(event.tenantId, event.accountId);
    return 'taken';
  }

  async forget(tenantId: string, accountId: string): Promise<void> {
    await this.store.forget(tenantId, accountId).catch((err: unknown) => {
      if (!(err instanceof StateUnavailableError)) throw err;
    });
  }

  /** The sweep's complete tally of states per provider becomes the counts behind accounts_by_health. Best effort. */
  async recount(counts: HealthCounts): Promise<void> {
    await this.store.replaceCounts(counts).catch((err: unknown) => {
      this.logger.warn(`Account health counts not replaced (${err instanceof Error ? err.message : String(err)}).`);
    });
  }

  /** Resolves when the reads started by account events are done (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.reading.size > 0) await Promise.all([...this.reading]);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  private async readAndObserve(tenantId: string, accountId: string): Promise<void> {
    try {
      await this.observe(tenantId, toHealthInput(await this.stackone.getAccount(tenantId, accountId)));
    } catch (err) {
      // Ids only: the error may quote StackOne's answer.
      this.logger.warn(`Account ${accountId} of tenant ${tenantId} not read after its event (${err instanceof Error ? err.name : typeof err}): the next read or sweep will.`);
    }
  }

  private async transitioned(tenantId: string, account: HealthInput, previous: HealthTransition['previous'], next: AccountHealth, now: Date): Promise<void> {
    this.metrics.transitioned(account.provider, previous?.state, next.state);
    const common = { tenantId, ...(account.originOwnerName !== undefined && { tenantName: account.originOwnerName }), accountId: account.id, provider: account.provider };
    if (next.state === 'broken') {
      const event: AccountBrokenEvent = {
        type: 'account.broken',
        ...common,
        status: String(account.status),
        ...(account.label !== undefined && { label: account.label }),
        reasons: next.reasons,
        providerIncident: await this.incidents.broke(account.provider, tenantId, account.id, now.getTime()),
        occurredAt: next.since,
      };
      await this.publish(event);
    } else if (next.state === 'healthy' && previous?.state === 'broken') {
      const brokenForSeconds = Math.max(0, Math.round((now.getTime() - Date.parse(previous.since)) / 1000));
      this.metrics.recovered(account.provider, brokenForSeconds, previous.relinkedAt !== undefined);
      const event: AccountRecoveredEvent = { type: 'account.recovered', ...common, brokenSince: previous.since, brokenForSeconds, occurredAt: now.toISOString() };
      await this.publish(event);
    }
  }

  private async publish(event: AccountBrokenEvent | AccountRecoveredEvent): Promise<void> {
    if ((await this.bus.publish(event)) === 'deliver-again') {
      this.logger.warn(`${event.type} for account ${event.accountId} of tenant ${event.tenantId} was not queued for every subscriber.`);
    }
  }
}
