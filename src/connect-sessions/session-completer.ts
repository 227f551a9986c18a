import { Inject, Injectable } from '@nestjs/common';
import { AccountEvent } from '../account-events/account-event';
import { SelfEdits } from '../accounts/self-edits';
import { EventBus, HandlerOutcome, OnEvent } from '../event-bus/event-bus';
import { MetricsService } from '../observability/metrics.service';
import { ProvidersService } from '../providers/providers.service';
import { EXPIRES_IN_BOUNDS } from './dto/create-connect-session.dto';
import { actionOf, eventKey, eventTimeMs, matchSession, needsProviderCategory, SessionCompletion, SessionRecord, StoredSession } from './session-record';
import type { SessionEvent } from './session-event';
import { SESSION_STORE, SessionStore } from './session.store';

const READ_BATCH = 200;
/** The most recent sessions of a tenant an account event is matched against. */
const MATCH_SCAN_LIMIT = 1_000;
const COMPLETE_ATTEMPTS = 3;

/**
 * Completion from account events: the session an account.created / account.updated was made
 * through (rule: matchSession, docs/sessions.md; never an edit of the service's own, see SelfEdits)
 * is completed once, and connect_session.completed is published. Without the store no session can
 * be completed: the event's source is asked to deliver it again, and its retry after the outage
 * completes the session (one created meanwhile is recorded first: the store's held writes).
 */
@Injectable()
export class SessionCompleter {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly metrics: MetricsService,
    private readonly bus: EventBus,
    private readonly providers: ProvidersService,
    private readonly selfEdits: SelfEdits,
  ) {}

  /**
   * Completes the session `event` matches, if any, and publishes its connect_session.completed.
   * Idempotent; `deliver-again` when the store cannot be reached or the completion was not taken in.
   */
  @OnEvent(['account.created', 'account.updated'])
  async onAccountEvent(event: AccountEvent): Promise<HandlerOutcome> {
    if (event.type !== 'account.created' && event.type !== 'account.updated') return 'taken';
    try {
      for (let attempt = 0; attempt < COMPLETE_ATTEMPTS; attempt++) {
        // Another event may complete the chosen session first: then look again.
        const outcome = await this.completeOnce(event);
        if (outcome !== 'look-again') return outcome;
      }
      return 'taken';
    } catch {
      // The store could not be used: the event completes no session now.
      return 'deliver-again';
    }
  }

  /** `look-again` when nothing was completed and another look may find a session (the chosen one was taken). */
  private async completeOnce(event: AccountEvent): Promise<HandlerOutcome | 'look-again'> {
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
    if (done?.completion) return this.bus.publish({ ...completedEvent(done.record, event, done.completion.completedAt), redelivery: true });
    const category = sessions.some(needsProviderCategory) ? await this.providers.categoryOf(event.provider) : undefined;
    const match = matchSession(event, event.tenantId, sessions, category);
    if (!match) return 'taken';
    // Our own PATCH of the account: true as an account event (the feed has it), but nobody connected anything.
    if (event.type === 'account.updated' && (await this.selfEdits.madeHere(event.tenantId, event.accountId, at))) return 'taken';
    const completion: SessionCompletion = {
      accountId: event.accountId,
      completedAt: new Date(at).toISOString(),
      action: actionOf(event),
      provider: event.provider,
      eventKey: key,
    };
    if (!(await this.store.complete(match.record, completion))) return 'look-again';
    // The session's own provider label, so completed / created per label is a conversion rate.
    this.metrics.sessionsCompleted.inc({ provider: match.record.provider ?? 'none', action: completion.action });
    this.metrics.sessionCompletion.observe(Math.max(0, (at - Date.parse(match.record.createdAt)) / 1000));
    if (match.record.relink === true) this.metrics.relinkSessions.inc({ outcome: 'completed' });
    return this.bus.publish(completedEvent(match.record, event, completion.completedAt));
  }
}

function completedEvent(record: SessionRecord, event: AccountEvent, completedAt: string): SessionEvent {
  return {
    type: 'connect_session.completed',
    tenantId: record.tenantId,
    tenantName: event.tenantName,
    sessionId: record.sessionId,
    accountId: event.accountId,
    provider: record.provider ?? event.provider,
    label: record.label,
    status: 'completed',
    occurredAt: completedAt,
    ...(record.relink === true && { relink: true as const }),
  };
}
