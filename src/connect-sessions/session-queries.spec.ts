import { NotFoundException } from '@nestjs/common';
import { recordSessionEvents, testEventBus } from '../../test/support/event-bus';
import { acme, createdSession, globex } from '../../test/support/sessions';
import { testState, TestState } from '../../test/support/state';
import { RetryLaterException } from '../common/problem.exception';
import { StateUnavailableError } from '../state/shared-state';
import { SessionExpiry } from './session-expiry';
import { SessionQueries } from './session-queries';
import { SessionRecorder } from './session-recorder';
import type { SessionEvent } from './session-event';
import { SESSION_STORE, SessionStore } from './session.store';

const states: TestState[] = [];
afterEach(() => states.splice(0).forEach((s) => s.close()));

function build(): { sut: SessionQueries; recorder: SessionRecorder; store: SessionStore; published: SessionEvent[] } {
  const state = testState({}, null);
  states.push(state);
  const store = state.store<SessionStore>(SESSION_STORE);
  const bus = testEventBus();
  const published = recordSessionEvents(bus);
  const expiry = new SessionExpiry(store, state.metrics, bus);
  return { sut: new SessionQueries(store, expiry), recorder: new SessionRecorder(state.config, store, state.metrics), store, published };
}

describe(SessionQueries.name, () => {
  it("reads one of the tenant's sessions; another tenant's is 404, like one that does not exist", async () => {
    const { sut, recorder } = build();
    const session = createdSession({ provider: 'hibob' });
    await recorder.record(acme, session, { relink: false });
    expect(await sut.get(acme, session.sessionId)).toMatchObject({ sessionId: session.sessionId, status: 'pending', provider: 'hibob' });
    await expect(sut.get(globex, session.sessionId)).rejects.toBeInstanceOf(NotFoundException);
    await expect(sut.get(acme, 'nope')).rejects.toBeInstanceOf(NotFoundException);
  });

  it('lists newest first, filtered by status and provider, a page at a time', async () => {
    const { sut, recorder } = build();
    const ids: string[] = [];
    for (const provider of ['hibob', 'bamboohr', 'hibob']) {
      const s = createdSession({ provider, createdAt: new Date(Date.now() - 10_000 + ids.length * 1_000).toISOString() });
      ids.push(s.sessionId);
      await recorder.record(acme, s, { relink: false });
    }
    await recorder.record(globex, createdSession({ provider: 'hibob' }), { relink: false });
    const page1 = await sut.list(acme, { provider: 'hibob', pageSize: 1 });
    expect(page1).toMatchObject({ page: 1, pageSize: 1, hasMore: true });
    expect(page1.data.map((s) => s.sessionId)).toEqual([ids[2]]);
    const page2 = await sut.list(acme, { provider: 'hibob', pageSize: 1, page: 2 });
    expect(page2.data.map((s) => s.sessionId)).toEqual([ids[0]]);
    expect(page2.hasMore).toBe(false);
    expect((await sut.list(acme, { status: 'expired' })).data).toEqual([]);
  });

  it('a session read after its expiry reads expired and is announced once', async () => {
    const { sut, recorder, published } = build();
    const session = createdSession({ createdAt: new Date(Date.now() - 120_000).toISOString(), expiresAt: new Date(Date.now() - 60_000).toISOString() });
    await recorder.record(acme, session, { relink: false });
    expect((await sut.get(acme, session.sessionId)).status).toBe('expired');
    expect((await sut.list(acme, {})).data[0].status).toBe('expired');
    expect(published).toEqual([expect.objectContaining({ type: 'connect_session.expired', occurredAt: session.expiresAt, tenantId: acme.id, sessionId: session.sessionId, status: 'expired' })]);
  });

  it('answers 503 (Retry-After) when the store is unavailable', async () => {
    const { sut, store } = build();
    jest.spyOn(store, 'get').mockRejectedValue(new StateUnavailableError('sessions', 'Redis degraded'));
    await expect(sut.get(acme, '1')).rejects.toBeInstanceOf(RetryLaterException);
  });
});
