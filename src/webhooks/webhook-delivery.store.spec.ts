import { MemoryWebhookDeliveryStore } from './webhook-delivery.store';

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
