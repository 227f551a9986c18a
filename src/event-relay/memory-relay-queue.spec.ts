import { MemoryRelayQueue } from './memory-relay-queue';
import type { RelayJob } from './relay-job';
import type { DeliveryHandlers } from './relay-queue';

const job = (webhookId: string, subscriber = 'billing'): RelayJob => ({
  webhookId,
  subscriber,
  type: 'account.created',
  timestamp: '2026-11-25T10:00:00.000Z',
  data: { tenantId: 'org_1', accountId: webhookId },
  acceptedAt: Date.now(),
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe(MemoryRelayQueue.name, () => {
  afterEach(() => jest.useRealTimers());

  const make = (over: Partial<ConstructorParameters<typeof MemoryRelayQueue>[0]> = {}): MemoryRelayQueue =>
    new MemoryRelayQueue({ subscribers: ['billing', 'sync'], concurrency: 2, maxAttempts: 3, baseDelayMs: 1_000, maxJobs: 100, ...over });

  it('retries on the backoff schedule, then dead-letters after the last attempt', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const attempts: Array<[string, number]> = [];
    const dead: Array<[string, number, string]> = [];
    const handlers: DeliveryHandlers = {
      attempt: (j, n) => {
        attempts.push([j.webhookId, n]);
        return Promise.reject(new Error('attempt failed: 5xx'));
      },
      deadLettered: (j, n, reason) => dead.push([j.webhookId, n, reason]),
    };
    const sut = make();
    await sut.start(handlers);
    await sut.add([job('msg_a')]);
    await tick();
    expect(attempts).toEqual([['msg_a', 1]]);
    jest.advanceTimersByTime(999);
    await tick();
    expect(attempts).toHaveLength(1);
    expect(await sut.depth()).toContainEqual({ subscriber: 'billing', state: 'delayed', count: 1 });
    jest.advanceTimersByTime(1);
    await tick();
    expect(attempts).toEqual([['msg_a', 1], ['msg_a', 2]]);
    jest.advanceTimersByTime(2_000);
    await tick();
    expect(attempts).toEqual([['msg_a', 1], ['msg_a', 2], ['msg_a', 3]]);
    expect(dead).toEqual([['msg_a', 3, 'attempt failed: 5xx']]);
    expect((await sut.depth()).every((d) => d.count === 0)).toBe(true);
    jest.restoreAllMocks();
  });

  it('queues one delivery per webhook-id: a copy while queued or after it was delivered is dropped', async () => {
    const delivered: string[] = [];
    const sut = make();
    await sut.add([job('msg_a'), job('msg_a')]);
    await sut.start({ attempt: (j) => Promise.resolve(void delivered.push(j.webhookId)), deadLettered: () => undefined });
    await tick();
    await sut.add([job('msg_a')]);
    await tick();
    expect(delivered).toEqual(['msg_a']);
  });

  it('keeps at most `concurrency` deliveries in flight per subscriber, the others unaffected', async () => {
    const release: Array<() => void> = [];
    const inFlight = new Map<string, number>();
    const sut = make({ concurrency: 2 });
    await sut.start({
      attempt: (j) => {
        inFlight.set(j.subscriber, (inFlight.get(j.subscriber) ?? 0) + 1);
        return new Promise((resolve) => release.push(resolve));
      },
      deadLettered: () => undefined,
    });
    await sut.add([job('a1'), job('a2'), job('a3'), job('a4'), job('s1', 'sync')]);
    await tick();
    expect(Object.fromEntries(inFlight)).toEqual({ billing: 2, sync: 1 });
    release.shift()?.();
    await tick();
    await tick();
    expect(inFlight.get('billing')).toBe(3);
    for (const r of release) r();
    await sut.close();
  });

  it('refuses deliveries beyond its bound, all or none', async () => {
    const sut = make({ maxJobs: 2 });
    await sut.add([job('a1')]);
    await expect(sut.add([job('a2'), job('a3')])).rejects.toThrow('EVENT_DELIVERY_MEMORY_MAX_JOBS=2');
    await sut.add([job('a2')]);
    expect((await sut.depth()).find((d) => d.subscriber === 'billing' && d.state === 'waiting')?.count).toBe(2);
  });
});
