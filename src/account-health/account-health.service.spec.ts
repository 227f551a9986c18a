import { EventBus } from '../event-bus/event-bus';
import { BusEvent } from '../event-bus/event-map';
import { StateUnavailableError } from '../state/shared-state';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { AccountHealthService, HealthInput } from './account-health.service';
import { AccountHealthStore, MemoryAccountHealthStore } from './account-health.store';
import { HealthMetrics } from './health-metrics';
import { ProviderIncidents } from './provider-incidents';

const account = (over: Partial<HealthInput> = {}): HealthInput => ({
  id: 'acc_1',
  provider: 'hibob',
  status: 'active',
  originOwnerId: 'org_acme',
  originOwnerName: 'Acme Inc',
  label: 'Acme HiBob',
  updatedAt: '2026-11-01T00:00:00.000Z',
  ...over,
});

describe(AccountHealthService.name, () => {
  let published: BusEvent[];
  let metrics: { transitioned: jest.Mock; recovered: jest.Mock };
  const make = (store: AccountHealthStore = new MemoryAccountHealthStore()): AccountHealthService => {
    const bus = { publish: (e: BusEvent) => (published.push(e), Promise.resolve('taken')) } as unknown as EventBus;
    return new AccountHealthService(store, bus, {} as StackOneHttpService, metrics as unknown as HealthMetrics, { broke: () => Promise.resolve(false) } as unknown as ProviderIncidents);
  };

  beforeEach(() => {
    published = [];
    metrics = { transitioned: jest.fn(), recovered: jest.fn() };
  });

  it('announces a break once, with its reasons and status, then its recovery with how long it lasted', async () => {
    const sut = make();
    await sut.observe('org_acme', account(), new Date('2026-11-01T00:00:00.000Z'));
    expect(published).toEqual([]);
    const reasons = [{ code: 'invalid_credentials', description: 'The API key was revoked', timestamp: '2026-11-02T10:00:00.000Z' }];
    const broken = await sut.observe('org_acme', account({ status: 'error', statusReasons: reasons }), new Date('2026-11-02T10:05:00.000Z'));
    expect(broken).toEqual({ state: 'broken', since: '2026-11-02T10:00:00.000Z', reasons: [{ code: 'invalid_credentials', description: 'The API key was revoked' }] });
    // Seen again (a StackOne retry, a sweep, a read): no second event.
    await sut.observe('org_acme', account({ status: 'expired', statusReasons: reasons }), new Date('2026-11-02T11:00:00.000Z'));
    await sut.observe('org_acme', account({ status: 'error' }), new Date('2026-11-02T12:00:00.000Z'));
    const healthy = await sut.observe('org_acme', account({ status: 'active' }), new Date('2026-11-02T11:00:00.000Z'));
    expect(healthy).toEqual({ state: 'healthy', since: '2026-11-02T11:00:00.000Z', reasons: [] });
    expect(published).toEqual([
      {
        type: 'account.broken',
        tenantId: 'org_acme',
        tenantName: 'Acme Inc',
        accountId: 'acc_1',
        provider: 'hibob',
        status: 'error',
        label: 'Acme HiBob',
        reasons: [{ code: 'invalid_credentials', description: 'The API key was revoked' }],
        providerIncident: false,
        occurredAt: '2026-11-02T10:00:00.000Z',
      },
      {
        type: 'account.recovered',
        tenantId: 'org_acme',
        tenantName: 'Acme Inc',
        accountId: 'acc_1',
        provider: 'hibob',
        brokenSince: '2026-11-02T10:00:00.000Z',
        brokenForSeconds: 3600,
        occurredAt: '2026-11-02T11:00:00.000Z',
      },
    ]);
    expect(metrics.recovered).toHaveBeenCalledWith('hibob', 3600, false);
  });

  it('since without reasons: when it was first seen in that state, kept while it stays', async () => {
    const sut = make();
    const first = await sut.observe('org_acme', account({ status: 'suspended' }), new Date('2026-11-03T00:00:00.000Z'));
    const later = await sut.observe('org_acme', account({ status: 'inactive' }), new Date('2026-11-04T00:00:00.000Z'));
    expect([first.state, first.since, later.state, later.since]).toEqual(['paused', '2026-11-03T00:00:00.000Z', 'paused', '2026-11-03T00:00:00.000Z']);
    // paused and unknown are no events; broken → paused → healthy is no recovery.
    await sut.observe('org_acme', account({ status: 'archived' }));
    await sut.observe('org_acme', account({ status: 'active' }));
    expect(published).toEqual([]);
  });

  it('an account first seen broken is announced; one of another owner is neither recorded nor announced', async () => {
    const store = new MemoryAccountHealthStore();
    const sut = make(store);
    await sut.observe('org_globex', account({ status: 'error' }));
    expect(published).toEqual([]);
    expect(await store.counts()).toEqual([]);
    await sut.observe('org_acme', account({ status: 'error' }));
    expect(published.map((e) => [e.type, e.tenantId])).toEqual([['account.broken', 'org_acme']]);
  });

  it('while the store is unreachable: the health is shown, nothing announced; the transition is found on the next observation', async () => {
    const memory = new MemoryAccountHealthStore();
    let down = true;
    const store: AccountHealthStore = {
      record: (...args) => (down ? Promise.reject(new StateUnavailableError('account-health', 'Redis degraded')) : memory.record(...args)),
      markRelinked: (...args) => memory.markRelinked(...args),
      forget: (...args) => memory.forget(...args),
      counts: () => memory.counts(),
      replaceCounts: (...args) => memory.replaceCounts(...args),
    };
    const sut = make(store);
    await expect(sut.observe('org_acme', account({ status: 'error' }))).resolves.toMatchObject({ state: 'broken', since: '2026-11-01T00:00:00.000Z' });
    expect(published).toEqual([]);
    down = false;
    await sut.observe('org_acme', account({ status: 'error' }));
    expect(published.map((e) => e.type)).toEqual(['account.broken']);
  });

  it('the memory store: one winner per transition, counts per state and provider, forget drops the count', async () => {
    const store = new MemoryAccountHealthStore(2);
    const next = { state: 'broken' as const, since: '2026-11-01T00:00:00.000Z' };
    const both = await Promise.all([store.record('t', 'a', 'hibob', next), store.record('t', 'a', 'hibob', next)]);
    expect(both.map((r) => r.changed)).toEqual([true, false]);
    await store.record('t', 'b', 'hibob', { ...next, state: 'healthy' });
    expect(await store.counts()).toEqual([
      { state: 'broken', provider: 'hibob', count: 1 },
      { state: 'healthy', provider: 'hibob', count: 1 },
    ]);
    // Past the bound the least recently observed goes, with its count.
    await store.record('t', 'c', 'greenhouse', { ...next, state: 'healthy' });
    expect(await store.counts()).toEqual([{ state: 'healthy', provider: 'hibob', count: 1 }, { state: 'healthy', provider: 'greenhouse', count: 1 }]);
    await store.forget('t', 'b');
    expect(await store.counts()).toEqual([{ state: 'healthy', provider: 'greenhouse', count: 1 }]);
  });

  it('a completed re-link marks the broken episode: shown while it stays broken, counted when it recovers; other sessions mark nothing', async () => {
    const sut = make();
    const session = { type: 'connect_session.completed' as const, tenantId: 'org_acme', sessionId: 's1', accountId: 'acc_1', status: 'completed' as const, occurredAt: '2026-11-02T10:30:00.000Z' };
    await sut.observe('org_acme', account({ status: 'error' }), new Date('2026-11-02T10:00:00.000Z'));
    await sut.onSessionCompleted(session);
    expect((await sut.observe('org_acme', account({ status: 'error' }))).relinkedAt).toBeUndefined();
    await sut.onSessionCompleted({ ...session, relink: true });
    expect(await sut.observe('org_acme', account({ status: 'error' }))).toMatchObject({ state: 'broken', relinkedAt: '2026-11-02T10:30:00.000Z' });
    await sut.observe('org_acme', account({ status: 'active' }), new Date('2026-11-02T11:00:00.000Z'));
    expect(metrics.recovered).toHaveBeenCalledWith('hibob', 3600, true);
    // The next episode starts unmarked.
    await sut.observe('org_acme', account({ status: 'error' }), new Date('2026-11-03T00:00:00.000Z'));
    expect((await sut.observe('org_acme', account({ status: 'error' }))).relinkedAt).toBeUndefined();
    await sut.observe('org_acme', account({ status: 'active' }), new Date('2026-11-03T01:00:00.000Z'));
    expect(metrics.recovered).toHaveBeenLastCalledWith('hibob', 3600, false);
  });
});
