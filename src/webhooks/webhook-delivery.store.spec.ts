import type { RedisHealth } from '../redis/redis-health';
import { FallbackWebhookDeliveryStore, MemoryWebhookDeliveryStore, WebhookDeliveryStore } from './webhook-delivery.store';

describe(MemoryWebhookDeliveryStore.name, () => {
  afterEach(() => jest.useRealTimers());

  it('says first only once per id until the id expires', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const sut = new MemoryWebhookDeliveryStore();
    expect(await sut.firstSeen('a', 1_000)).toBe(true);
    expect(await sut.firstSeen('a', 1_000)).toBe(false);
    expect(await sut.firstSeen('b', 1_000)).toBe(true);
    jest.setSystemTime(1_001_000);
    expect(await sut.firstSeen('a', 1_000)).toBe(true);
  });

  it('forgets an id on request, so its next delivery is a first one again', async () => {
    const sut = new MemoryWebhookDeliveryStore();
    expect(await sut.firstSeen('a', 60_000)).toBe(true);
    await sut.forget('a');
    expect(await sut.firstSeen('a', 60_000)).toBe(true);
    expect(await sut.firstSeen('a', 60_000)).toBe(false);
  });

  it('stays within its bound: expired ids go first, then the oldest', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const sut = new MemoryWebhookDeliveryStore(3);
    await sut.firstSeen('short', 10);
    await sut.firstSeen('old', 60_000);
    await sut.firstSeen('mid', 60_000);
    jest.setSystemTime(1_000_100);
    await sut.firstSeen('new', 60_000);
    expect(sut.size).toBe(3);
    expect(await sut.firstSeen('old', 60_000)).toBe(false);
    await sut.firstSeen('newer', 60_000);
    expect(sut.size).toBe(3);
    // 'old' was the oldest left: evicted, so it reads as first again; the others are still known.
    expect(await sut.firstSeen('newer', 60_000)).toBe(false);
    expect(await sut.firstSeen('old', 60_000)).toBe(true);
  });
});

describe(FallbackWebhookDeliveryStore.name, () => {
  const health = (available: boolean): jest.Mocked<Pick<RedisHealth, 'available' | 'failed' | 'fellBack'>> => ({
    available: jest.fn(() => available),
    failed: jest.fn(),
    fellBack: jest.fn(),
  });

  it('asks Redis while it is available', async () => {
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.resolve(false)), forget: jest.fn(() => Promise.resolve()) };
    const h = health(true);
    const sut = new FallbackWebhookDeliveryStore(shared, new MemoryWebhookDeliveryStore(), h as unknown as RedisHealth);
    expect(await sut.firstSeen('a', 1_000)).toBe(false);
    expect(h.fellBack).not.toHaveBeenCalled();
  });

  it('forgets in both stores while Redis is available, only in memory while it is not', async () => {
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.resolve(true)), forget: jest.fn(() => Promise.resolve()) };
    const local = new MemoryWebhookDeliveryStore();
    await local.firstSeen('a', 60_000);
    await new FallbackWebhookDeliveryStore(shared, local, health(true) as unknown as RedisHealth).forget('a');
    expect(shared.forget).toHaveBeenCalledWith('a');
    expect(await local.firstSeen('a', 60_000)).toBe(true);
    (shared.forget as jest.Mock).mockClear();
    await new FallbackWebhookDeliveryStore(shared, local, health(false) as unknown as RedisHealth).forget('a');
    expect(shared.forget).not.toHaveBeenCalled();
    expect(await local.firstSeen('a', 60_000)).toBe(true);
  });

  it('falls back to memory when a command fails, reporting the failure, and skips Redis while degraded', async () => {
    const shared: WebhookDeliveryStore = { firstSeen: jest.fn(() => Promise.reject(new Error('Command timed out'))), forget: jest.fn(() => Promise.resolve()) };
    const h = health(true);
    const sut = new FallbackWebhookDeliveryStore(shared, new MemoryWebhookDeliveryStore(), h as unknown as RedisHealth);
    expect(await sut.firstSeen('a', 1_000)).toBe(true);
    expect(await sut.firstSeen('a', 1_000)).toBe(false);
    expect(h.failed).toHaveBeenCalledWith(expect.objectContaining({ message: 'Command timed out' }));
    expect(h.fellBack).toHaveBeenCalledWith('webhook-dedupe');

    const down = health(false);
    const skipping = new FallbackWebhookDeliveryStore(shared, new MemoryWebhookDeliveryStore(), down as unknown as RedisHealth);
    (shared.firstSeen as jest.Mock).mockClear();
    expect(await skipping.firstSeen('b', 1_000)).toBe(true);
    expect(shared.firstSeen).not.toHaveBeenCalled();
  });
});
