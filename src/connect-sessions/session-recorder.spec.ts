import type { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { acme, createdSession } from '../../test/support/sessions';
import { testState, TestState } from '../../test/support/state';
import { SessionRecorder } from './session-recorder';
import { SESSION_STORE, SessionStore } from './session.store';

const states: TestState[] = [];
afterEach(() => states.splice(0).forEach((s) => s.close()));

function build(redis: Redis | null = null, env: Record<string, string> = {}): { sut: SessionRecorder; store: SessionStore; state: TestState } {
  const state = testState({ ...(redis ? { REDIS_URL: 'redis://127.0.0.1:1' } : {}), ...env }, redis);
  states.push(state);
  const store = state.store<SessionStore>(SESSION_STORE);
  return { sut: new SessionRecorder(state.config, store, state.metrics), store, state };
}

describe(SessionRecorder.name, () => {
  it('records what the status API needs, never the token or the hosted link, and counts the creation by provider', async () => {
    const { sut, store, state } = build();
    const session = createdSession({ provider: 'hibob', accountAction: 'create', label: 'HR' });
    await sut.record(acme, session, { relink: false });
    const stored = await store.get(acme.id, session.sessionId);
    expect(stored?.record).toEqual({
      tenantId: acme.id,
      sessionId: session.sessionId,
      provider: 'hibob',
      categories: undefined,
      accountId: undefined,
      relink: undefined,
      label: 'HR',
      accountAction: 'create',
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      principal: acme.principal,
    });
    expect(JSON.stringify(stored)).not.toContain('never-recorded');
    expect((await state.metrics.sessionsCreated.get()).values).toEqual([expect.objectContaining({ labels: { provider: 'hibob' }, value: 1 })]);
  });

  it("a re-link is recorded as one, under the account's provider", async () => {
    const { sut, store } = build();
    const session = createdSession({ accountId: 'acc_1' });
    await sut.record(acme, session, { relink: true, provider: 'bamboohr' });
    expect((await store.get(acme.id, session.sessionId))?.record).toMatchObject({ relink: true, provider: 'bamboohr', accountId: 'acc_1' });
  });

  it('never fails while Redis is down: the record waits and is written when Redis is back', async () => {
    const written: unknown[] = [];
    const client = Object.assign(new EventEmitter(), {
      status: 'ready',
      options: { host: '127.0.0.1', port: 1 },
      ping: () => Promise.resolve('PONG'),
      // RedisSessionStore.add is one MULTI.
      multi: () => {
        const chain = {
          hset: () => chain,
          pexpire: () => chain,
          zadd: () => chain,
          zremrangebyscore: () => chain,
          zremrangebyrank: () => chain,
          exec: () => {
            written.push('add');
            return Promise.resolve([]);
          },
        };
        return chain;
      },
    });
    const { sut, state } = build(client as unknown as Redis);
    state.health.failed(new Error('down'));
    await sut.record(acme, createdSession(), { relink: false });
    expect(written).toEqual([]);
    client.emit('ready');
    await state.state.settled();
    expect(written).toEqual(['add']);
  });
});
