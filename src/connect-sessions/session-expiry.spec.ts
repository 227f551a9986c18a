import { recordSessionEvents, testEventBus } from '../../test/support/event-bus';
import { acme, createdSession } from '../../test/support/sessions';
import { testState, TestState } from '../../test/support/state';
import { StateUnavailableError } from '../state/shared-state';
import { SessionExpiry } from './session-expiry';
import { SessionRecorder } from './session-recorder';
import type { SessionEvent } from './session-event';
import { SESSION_STORE, SessionStore } from './session.store';

const states: TestState[] = [];
afterEach(() => states.splice(0).forEach((s) => s.close()));

function build(): { sut: SessionExpiry; recorder: SessionRecorder; store: SessionStore; published: SessionEvent[]; state: TestState } {
  const state = testState({}, null);
  states.push(state);
  const store = state.store<SessionStore>(SESSION_STORE);
  const bus = testEventBus();
  const published = recordSessionEvents(bus);
  return { sut: new SessionExpiry(store, state.metrics, bus), recorder: new SessionRecorder(state.config, store, state.metrics), store, published, state };
}

const expiredSession = (): ReturnType<typeof createdSession> =>
  createdSession({ provider: 'hibob', label: 'HR', createdAt: new Date(Date.now() - 120_000).toISOString(), expiresAt: new Date(Date.now() - 60_000).toISOString() });

describe(SessionExpiry.name, () => {
  it('the sweep counts and announces each expired session once; pending ones are left alone', async () => {
    const { sut, recorder, published, state } = build();
    const gone = expiredSession();
    await recorder.record(acme, gone, { relink: false });
    await recorder.record(acme, createdSession(), { relink: false });
    await sut.sweepExpired();
    await sut.sweepExpired();
    // The sweep's claim carries ids only: the event is stamped when the sweep found it.
    expect(published).toEqual([{ type: 'connect_session.expired', occurredAt: expect.any(String), tenantId: acme.id, sessionId: gone.sessionId, provider: 'hibob', label: undefined, status: 'expired' }]);
    expect((await state.metrics.sessionsExpired.get()).values).toEqual([expect.objectContaining({ labels: { provider: 'hibob' }, value: 1 })]);
  });

  it('a session a read claimed is not announced again by the sweep', async () => {
    const { sut, recorder, store, published } = build();
    const gone = expiredSession();
    await recorder.record(acme, gone, { relink: false });
    const stored = await store.get(acme.id, gone.sessionId);
    await sut.countIfExpired(stored!, Date.now());
    await sut.countIfExpired(stored!, Date.now());
    await sut.sweepExpired();
    expect(published).toHaveLength(1);
  });

  it('a store that is unavailable makes the sweep wait for its next round, without throwing', async () => {
    const { sut, store, published } = build();
    jest.spyOn(store, 'sweepExpired').mockRejectedValue(new StateUnavailableError('sessions', 'Redis degraded'));
    await expect(sut.sweepExpired()).resolves.toBeUndefined();
    expect(published).toEqual([]);
  });
});
