import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { EventEmitter } from 'node:events';
import { testConfigService } from '../../test/support/config';
import { MetricsService } from '../observability/metrics.service';
import { RedisHealth } from '../redis/redis-health';
import { MemoryThrottlerStorage } from '../throttling/memory-throttler.storage';
import { THROTTLER_STORAGE } from '../throttling/throttler-storage.token';
import { MemoryWebhookDeliveryStore, WEBHOOK_DELIVERY_STORE, WebhookDeliveryStore } from '../webhooks/webhook-delivery.store';
import { SharedState, StateUnavailableError, StoreDeclaration } from './shared-state';
import { STORES } from './state.module';

/** Enough of an ioredis client for RedisHealth: its events, its status and PING. */
function fakeClient(): EventEmitter & { status: string; options: object; ping: jest.Mock } {
  return Object.assign(new EventEmitter(), { status: 'ready', options: { host: '127.0.0.1', port: 1 }, ping: jest.fn(() => Promise.resolve('PONG')) });
}

interface Setup {
  state: SharedState;
  health: RedisHealth;
  client: ReturnType<typeof fakeClient>;
  fallbacks: (use: string) => Promise<number>;
}

const healths: RedisHealth[] = [];
afterEach(() => healths.splice(0).forEach((h) => h.onApplicationShutdown()));

function setUp(): Setup {
  const client = fakeClient();
  const config = testConfigService({ REDIS_URL: 'redis://127.0.0.1:1' });
  const metrics = new MetricsService();
  const health = new RedisHealth(client as unknown as Redis, config, metrics);
  healths.push(health);
  const state = new SharedState(client as unknown as Redis, health, metrics);
  state.onModuleInit();
  const fallbacks = async (use: string): Promise<number> => (await metrics.redisFallbacks.get()).values.find((v) => v.labels.use === use)?.value ?? 0;
  return { state, health, client, fallbacks };
}

/** The app's declaration for `token` (its policy), with `shared` standing in for the Redis implementation. */
function declared<T extends object>(token: symbol, shared: T, local?: T): StoreDeclaration<T> {
  const entry = STORES.find((s) => s.token === token);
  if (!entry) throw new Error('undeclared');
  const declaration = entry.declare(testConfigService()) as unknown as StoreDeclaration<T>;
  return { ...declaration, redis: () => shared, memory: local ? (): T => local : declaration.memory };
}

describe('SharedState: a "local" store (throttling)', () => {
  function throttler(s: Setup): { sut: ThrottlerStorage; shared: jest.Mocked<ThrottlerStorage> } {
    const shared = { increment: jest.fn(() => Promise.reject(new Error('Command timed out'))) } as unknown as jest.Mocked<ThrottlerStorage>;
    return { sut: s.state.store(declared(THROTTLER_STORAGE, shared as ThrottlerStorage, new MemoryThrottlerStorage())), shared };
  }

  it('answers from per-process counters when Redis fails, and still enforces the limit', async () => {
    const s = setUp();
    const { sut } = throttler(s);
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await sut.increment('tenant:a', 60_000, 2, 60_000, 'default'));
    expect(results.map((r) => [r.totalHits, r.isBlocked])).toEqual([[1, false], [2, false], [3, true]]);
    expect(s.health.mode()).toBe('degraded');
  });

  it('stops asking Redis once it failed (no request waits on a hung server), and uses it again after recovery', async () => {
    const s = setUp();
    const { sut, shared } = throttler(s);
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    await sut.increment('tenant:a', 60_000, 10, 60_000, 'default');
    expect(shared.increment).toHaveBeenCalledTimes(1);

    shared.increment.mockResolvedValue({ totalHits: 7, timeToExpire: 50, isBlocked: false, timeToBlockExpire: 0 });
    s.client.emit('ready');
    expect((await sut.increment('tenant:a', 60_000, 10, 60_000, 'default')).totalHits).toBe(7);
    expect(shared.increment).toHaveBeenCalledTimes(2);
  });

  it('recovers from a hang without a reconnect: a background PING brings Redis back', async () => {
    const s = setUp();
    const { sut, shared } = throttler(s);
    s.client.ping.mockRejectedValue(new Error('Command timed out'));
    await sut.increment('t', 60_000, 10, 60_000, 'default');
    expect(s.health.mode()).toBe('degraded');
    s.client.ping.mockResolvedValue('PONG');
    shared.increment.mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 });
    await new Promise((r) => setTimeout(r, 1_200));
    expect(s.health.mode()).toBe('shared');
    await sut.increment('t', 60_000, 10, 60_000, 'default');
    expect(shared.increment).toHaveBeenCalledTimes(2);
  });
});

describe('SharedState: a "local" store with a write that reaches both (webhook de-duplication)', () => {
  it('asks Redis while it is available', async () => {
    const s = setUp();
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.resolve(false)), forget: jest.fn(() => Promise.resolve()) };
    const sut = s.state.store(declared(WEBHOOK_DELIVERY_STORE, shared));
    expect(await sut.firstSeen('a', 1_000)).toBe(false);
    expect(await s.fallbacks('webhook-dedupe')).toBe(0);
  });

  it('forgets in both stores while Redis is available, only in memory while it is not', async () => {
    const s = setUp();
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.resolve(true)), forget: jest.fn(() => Promise.resolve()) };
    const local = new MemoryWebhookDeliveryStore();
    await local.firstSeen('a', 60_000);
    const sut = s.state.store(declared(WEBHOOK_DELIVERY_STORE, shared, local));
    await sut.forget('a');
    expect(shared.forget).toHaveBeenCalledWith('a');
    expect(await local.firstSeen('a', 60_000)).toBe(true);
    (shared.forget as jest.Mock).mockClear();
    s.health.failed(new Error('down'));
    await sut.forget('a');
    expect(shared.forget).not.toHaveBeenCalled();
    expect(await local.firstSeen('a', 60_000)).toBe(true);
  });

  it('a forget made while Redis is down reaches Redis once it is back, before the next look-up there', async () => {
    const s = setUp();
    const order: string[] = [];
    const shared: WebhookDeliveryStore = {
      firstSeen: jest.fn(() => {
        order.push('firstSeen');
        return Promise.resolve(true);
      }),
      forget: jest.fn(() => {
        order.push('forget');
        return Promise.resolve();
      }),
    };
    const sut = s.state.store(declared(WEBHOOK_DELIVERY_STORE, shared));
    s.health.failed(new Error('down'));
    await sut.forget('a');
    expect(order).toEqual([]);
    s.client.emit('ready');
    await sut.firstSeen('a', 1_000);
    expect(order).toEqual(['forget', 'firstSeen']);
  });

  it('falls back to memory when a command fails, reporting the failure, and skips Redis while degraded', async () => {
    const s = setUp();
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.reject(new Error('Command timed out'))), forget: jest.fn(() => Promise.resolve()) };
    const sut = s.state.store(declared(WEBHOOK_DELIVERY_STORE, shared));
    expect(await sut.firstSeen('a', 1_000)).toBe(true);
    expect(s.health.mode()).toBe('degraded');
    expect(await sut.firstSeen('a', 1_000)).toBe(false);
    expect(shared.firstSeen).toHaveBeenCalledTimes(1);
    expect(await s.fallbacks('webhook-dedupe')).toBe(2);
  });
});

interface Notes {
  write(key: string, value: string): Promise<void>;
  read(key: string): Promise<string | undefined>;
  all(): AsyncIterable<string>;
}

class MapNotes implements Notes {
  readonly map = new Map<string, string>();
  failing = false;
  write(key: string, value: string): Promise<void> {
    if (this.failing) return Promise.reject(new Error('Command timed out'));
    this.map.set(key, value);
    return Promise.resolve();
  }
  read(key: string): Promise<string | undefined> {
    return this.failing ? Promise.reject(new Error('Command timed out')) : Promise.resolve(this.map.get(key));
  }
  async *all(): AsyncIterable<string> {
    await Promise.resolve();
    if (this.failing) throw new Error('Command timed out');
    yield* this.map.values();
  }
}

describe('SharedState: "retry-later" and "hold"', () => {
  const notes = (shared: MapNotes, extra: Partial<StoreDeclaration<Notes>> = {}): StoreDeclaration<Notes> => ({
    use: 'notes',
    outage: 'retry-later',
    redis: () => shared,
    memory: () => new MapNotes(),
    ...extra,
  });

  it('retry-later: a failed call throws StateUnavailableError and marks Redis down; later calls do not reach Redis', async () => {
    const s = setUp();
    const shared = new MapNotes();
    const sut = s.state.store(notes(shared));
    await sut.write('a', '1');
    expect(await sut.read('a')).toBe('1');
    shared.failing = true;
    await expect(sut.read('a')).rejects.toBeInstanceOf(StateUnavailableError);
    expect(s.health.mode()).toBe('degraded');
    const read = jest.spyOn(shared, 'read');
    await expect(sut.read('a')).rejects.toMatchObject({ use: 'notes', reason: 'Redis degraded' });
    expect(read).not.toHaveBeenCalled();
    expect(await s.fallbacks('notes')).toBe(2);
  });

  it('retry-later: an iterated read fails the same way, on its first page', async () => {
    const s = setUp();
    const shared = new MapNotes();
    const sut = s.state.store(notes(shared));
    shared.failing = true;
    const iterate = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const n of sut.all()) out.push(n);
      return out;
    };
    await expect(iterate()).rejects.toBeInstanceOf(StateUnavailableError);
    await expect(iterate()).rejects.toMatchObject({ reason: 'Redis degraded' });
  });

  it('an error the declaration calls an answer is passed on as it is and leaves Redis up', async () => {
    const s = setUp();
    const refusal = new Error('full');
    const shared = new MapNotes();
    jest.spyOn(shared, 'write').mockRejectedValue(refusal);
    const sut = s.state.store(notes(shared, { isAnswer: (err) => err === refusal }));
    await expect(sut.write('a', '1')).rejects.toBe(refusal);
    expect(s.health.mode()).toBe('shared');
  });

  it('hold: writes wait while Redis is down (the newest per key, the oldest dropped past the bound) and are written when it is back; reads wait for them', async () => {
    const s = setUp();
    const shared = new MapNotes();
    const sut = s.state.store(notes(shared, { methods: { write: 'hold' }, hold: { max: 2, key: ([key]) => String(key) } }));
    s.health.failed(new Error('down'));
    await sut.write('a', '1');
    await sut.write('b', '1');
    await sut.write('b', '2');
    await sut.write('c', '1');
    expect(shared.map.size).toBe(0);
    await expect(sut.read('b')).rejects.toBeInstanceOf(StateUnavailableError);
    s.client.emit('ready');
    expect(await sut.read('b')).toBe('2');
    await s.state.settled();
    expect([...shared.map]).toEqual([
      ['b', '2'],
      ['c', '1'],
    ]);
  });

  it('hold: a write that fails while Redis seemed up is held too, and written after recovery', async () => {
    const s = setUp();
    const shared = new MapNotes();
    const sut = s.state.store(notes(shared, { methods: { write: 'hold' }, hold: { max: 10, key: ([key]) => String(key) } }));
    shared.failing = true;
    await sut.write('a', '1');
    expect(s.health.mode()).toBe('degraded');
    shared.failing = false;
    s.client.emit('ready');
    await s.state.settled();
    expect(shared.map.get('a')).toBe('1');
  });

  it('without Redis the memory implementation is used as it is', () => {
    const metrics = new MetricsService();
    const config = testConfigService();
    const health = new RedisHealth(null, config, metrics);
    const memory = new MapNotes();
    const sut = new SharedState(null, health, metrics).store({ ...notes(new MapNotes()), memory: () => memory });
    expect(sut).toBe(memory);
  });
});
