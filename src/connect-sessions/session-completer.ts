import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { AccountEvent } from '../account-events/account-event';
import { AccountEvents, RedeliveryNeededError } from '../account-events/account-events.service';
import { SelfEdits } from '../accounts/self-edits';
import { EventLog } from '../events/event-log.service';
import type { FeedEventData } from '../events/feed-event';
import { MetricsService } from '../observability/metrics.service';
import { ProvidersService } from '../providers/providers.service';
import { EXPIRES_IN_BOUNDS } from './dto/create-connect-session.dto';
import { actionOf, eventKey, eventTimeMs, matchSession, needsProviderCategory, SessionCompletion, SessionRecord, StoredSession } from './session-record';
import { SESSION_STORE, SessionStore } from './session.store';

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

/**
 * Completion from account events: the session an account.created / account.updated was made
 * through (rule: matchSession, docs/sessions.md; never an edit of the service's own, see SelfEdits)
 * is completed once, and connect_session.completed is announced. Without the store no session can
 * be completed: the event's source is asked to deliver it again, and its retry after the outage
 * completes the session (one created meanwhile is recorded first: the store's held writes).
 */
@Injectable()
export class SessionCompleter implements OnModuleInit {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly metrics: MetricsService,
    private readonly events: AccountEvents,
    private readonly providers: ProvidersService,
    private readonly selfEdits: SelfEdits,
    private readonly eventLog: EventLog,
  ) {}

  onModuleInit(): void {
    this.events.subscribe('session-status', (event) => this.onAccountEvent(event));
  }

  /** Completes the session `event` matches, if any. Idempotent; throws when the store cannot be reached (the bus logs it). */
  async onAccountEvent(event: AccountEvent): Promise<void> {
    if (event.type !== 'account.created' && event.type !== 'account.updated') return;
    try {
      for (let attempt = 0; attempt < COMPLETE_ATTEMPTS; attempt++) {
        // Another event may complete the chosen session first: then look again.
        if (await this.completeOnce(event)) return;
      }
    } catch (err) {
      // The relay could not queue the completion: already a redelivery request.
      if (err instanceof RedeliveryNeededError) throw err;
      throw new SessionStoreUnreachableError();
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
      await this.eventLog.relayAgain('connect_session.completed', done.completion.completedAt, completedEventData(done.record, event));
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
    await this.eventLog.append('connect_session.completed', completion.completedAt, completedEventData(match.record, event));
    return true;
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
