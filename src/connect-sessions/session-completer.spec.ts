import { accountEvent } from '../../test/support/account-events';
import { recordSessionEvents, testEventBus } from '../../test/support/event-bus';
import { acme, createdSession, globex } from '../../test/support/sessions';
import { testState, TestState } from '../../test/support/state';
import { SELF_EDIT_STORE, SelfEdits } from '../accounts/self-edits';
import type { EventBus } from '../event-bus/event-bus';
import type { ProvidersService } from '../providers/providers.service';
import { StateUnavailableError } from '../state/shared-state';
import { SessionCompleter } from './session-completer';
import { SessionRecorder } from './session-recorder';
import type { SessionEvent } from './session-event';
import { SESSION_STORE, SessionStore } from './session.store';

const states: TestState[] = [];
afterEach(() => states.splice(0).forEach((s) => s.close()));

interface Built {
  events: EventBus;
  recorder: SessionRecorder;
  store: SessionStore;
  selfEdits: SelfEdits;
  /** connect_session.completed as published: first, and again (`redelivery`) for the relay. */
  published: SessionEvent[];
  state: TestState;
}

function build(): Built {
  const state = testState({}, null);
  states.push(state);
  const store = state.store<SessionStore>(SESSION_STORE);
  const events = testEventBus();
  const published = recordSessionEvents(events);
  const selfEdits = new SelfEdits(state.config, state.store(SELF_EDIT_STORE));
  const providers = { categoryOf: jest.fn(() => Promise.resolve('hris')) } as unknown as ProvidersService;
  const sut = new SessionCompleter(store, state.metrics, events, providers, selfEdits);
  events.subscribe('completer', ['account.created', 'account.updated'], (event) => sut.onAccountEvent(event));
  return { events, recorder: new SessionRecorder(state.config, store, state.metrics), store, selfEdits, published, state };
}

describe(SessionCompleter.name, () => {
  it('completes the session an account was created through, once, and announces it', async () => {
    const b = build();
    const session = createdSession({ provider: 'hibob' });
    await b.recorder.record(acme, session, { relink: false });
    const event = accountEvent({ accountId: 'acc_1' });
    expect(await b.events.publish(event)).toBe('taken');
    expect(await b.events.publish(event)).toBe('taken');
    const stored = await b.store.get(acme.id, session.sessionId);
    expect(stored?.completion).toMatchObject({ accountId: 'acc_1', action: 'create', provider: 'hibob' });
    const [first, ...again] = b.published;
    expect(first).toEqual(expect.objectContaining({ type: 'connect_session.completed', occurredAt: stored?.completion?.completedAt, tenantId: acme.id, sessionId: session.sessionId, accountId: 'acc_1', status: 'completed' }));
    expect(first.redelivery).toBeUndefined();
    // The same event again: its completion is published again for the relay (the feed skips it, the queue drops a copy).
    expect(again).toEqual([{ ...first, redelivery: true }]);
  });

  it("never completes another tenant's session", async () => {
    const b = build();
    const session = createdSession({ provider: 'hibob', originOwnerId: globex.id });
    await b.recorder.record(globex, session, { relink: false });
    await b.events.publish(accountEvent());
    expect((await b.store.get(globex.id, session.sessionId))?.completion).toBeUndefined();
    expect(b.published).toEqual([]);
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
    expect(await b.events.publish(accountEvent())).toBe('deliver-again');
    // Other event types are none of its business.
    expect(await b.events.publish(accountEvent({ type: 'account.deleted' }))).toBe('taken');
  });
});
