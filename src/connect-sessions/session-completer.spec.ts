import { accountEvent } from '../../test/support/account-events';
import { acme, createdSession, globex } from '../../test/support/sessions';
import { testState, TestState } from '../../test/support/state';
import { AccountEvents } from '../account-events/account-events.service';
import { SELF_EDIT_STORE, SelfEdits } from '../accounts/self-edits';
import type { EventLog } from '../events/event-log.service';
import type { ProvidersService } from '../providers/providers.service';
import { StateUnavailableError } from '../state/shared-state';
import { SessionCompleter } from './session-completer';
import { SessionRecorder } from './session-recorder';
import { SESSION_STORE, SessionStore } from './session.store';

const states: TestState[] = [];
afterEach(() => states.splice(0).forEach((s) => s.close()));

interface Built {
  events: AccountEvents;
  recorder: SessionRecorder;
  store: SessionStore;
  selfEdits: SelfEdits;
  append: jest.Mock;
  relayAgain: jest.Mock;
  state: TestState;
}

function build(): Built {
  const state = testState({}, null);
  states.push(state);
  const store = state.store<SessionStore>(SESSION_STORE);
  const append = jest.fn(() => Promise.resolve());
  const relayAgain = jest.fn(() => Promise.resolve());
  const events = new AccountEvents();
  const selfEdits = new SelfEdits(state.config, state.store(SELF_EDIT_STORE));
  const providers = { categoryOf: jest.fn(() => Promise.resolve('hris')) } as unknown as ProvidersService;
  new SessionCompleter(store, state.metrics, events, providers, selfEdits, { append, relayAgain } as unknown as EventLog).onModuleInit();
  return { events, recorder: new SessionRecorder(state.config, store, state.metrics), store, selfEdits, append, relayAgain, state };
}

describe(SessionCompleter.name, () => {
  it('completes the session an account was created through, once, and announces it', async () => {
    const b = build();
    const session = createdSession({ provider: 'hibob' });
    await b.recorder.record(acme, session, { relink: false });
    const event = accountEvent({ accountId: 'acc_1' });
    expect(await b.events.publish(event)).toEqual({ redeliver: false });
    expect(await b.events.publish(event)).toEqual({ redeliver: false });
    const stored = await b.store.get(acme.id, session.sessionId);
    expect(stored?.completion).toMatchObject({ accountId: 'acc_1', action: 'create', provider: 'hibob' });
    expect(b.append).toHaveBeenCalledTimes(1);
    expect(b.append).toHaveBeenCalledWith('connect_session.completed', stored?.completion?.completedAt, expect.objectContaining({ tenantId: acme.id, sessionId: session.sessionId, accountId: 'acc_1', status: 'completed' }));
    // The same event again: its completion is queued for the relay again (the queue drops a copy).
    expect(b.relayAgain).toHaveBeenCalledTimes(1);
  });

  it("never completes another tenant's session", async () => {
    const b = build();
    const session = createdSession({ provider: 'hibob', originOwnerId: globex.id });
    await b.recorder.record(globex, session, { relink: false });
    await b.events.publish(accountEvent());
    expect((await b.store.get(globex.id, session.sessionId))?.completion).toBeUndefined();
    expect(b.append).not.toHaveBeenCalled();
  });

  it("an account.updated of the service's own PATCH completes no re-link of that account", async () => {
    const b = build();
    const session = createdSession({ provider: 'hibob', accountId: 'acc_1' });
    await b.recorder.record(acme, session, { relink: true });
    const edit = await b.selfEdits.begin(acme.id, 'acc_1');
    await edit.answered();
    await b.events.publish(accountEvent({ type: 'account.updated', accountId: 'acc_1' }));
    expect((await b.store.get(acme.id, session.sessionId))?.completion).toBeUndefined();
    // A customer's update of it, later than the edit's window, does.
    await b.events.publish(accountEvent({ type: 'account.updated', accountId: 'acc_1', occurredAt: new Date(Date.now() + 60_000).toISOString() }));
    expect((await b.store.get(acme.id, session.sessionId))?.completion).toMatchObject({ accountId: 'acc_1', action: 'update' });
  });

  it('asks for the event again when the store is unavailable', async () => {
    const b = build();
    jest.spyOn(b.store, 'newest').mockImplementation(() => {
      throw new StateUnavailableError('sessions', 'Redis degraded');
    });
    expect(await b.events.publish(accountEvent())).toEqual({ redeliver: true });
    // Other event types are none of its business.
    expect(await b.events.publish(accountEvent({ type: 'account.deleted' }))).toEqual({ redeliver: false });
  });
});
