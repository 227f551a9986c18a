import { randomBytes, randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IdempotencyStoreFullError, MemoryIdempotencyStore } from './idempotency.store';

// A session answer is a few KB (token, hub URL, owner fields): about what a real record holds.
const sessionBody = (): Record<string, string> => ({ token: randomBytes(2_400).toString('base64'), authLinkUrl: `https://hub.example/connect?token=${randomBytes(1_200).toString('hex')}` });

async function storeFresh(sut: MemoryIdempotencyStore, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const key = randomUUID();
    await sut.claim(key, 'fp', 15_000);
    await sut.complete(key, { state: 'done', fingerprint: 'fp', status: 201, body: sessionBody() }, 86_400_000);
  }
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe(MemoryIdempotencyStore.name, () => {
  it('stays within its entry bound: the oldest completed records go first', async () => {
    const sut = new MemoryIdempotencyStore({ maxEntries: 3, maxBytes: 1 << 20 });
    for (const key of ['a', 'b', 'c', 'd']) {
      await sut.claim(key, 'fp', 10_000);
      await sut.complete(key, { state: 'done', fingerprint: 'fp', body: { key } }, 60_000);
    }
    expect(sut.stats().entries).toBe(3);
    expect(await sut.get('a')).toBeUndefined();
    expect(await sut.get('d')).toMatchObject({ state: 'done', body: { key: 'd' } });
  });

  it('never evicts an in-flight claim: with only claims left, a new key is refused', async () => {
    const sut = new MemoryIdempotencyStore({ maxEntries: 2, maxBytes: 1 << 20 });
    await sut.claim('a', 'fp', 10_000);
    await sut.claim('b', 'fp', 10_000);
    await expect(sut.claim('c', 'fp', 10_000)).rejects.toBeInstanceOf(IdempotencyStoreFullError);
    expect(await sut.get('a')).toMatchObject({ state: 'pending' });
    await sut.complete('a', { state: 'done', fingerprint: 'fp', body: {} }, 60_000);
    // A completed record may now make room.
    await expect(sut.claim('c', 'fp', 10_000)).resolves.toEqual({ claimed: true });
    expect(await sut.get('b')).toMatchObject({ state: 'pending' });
  });

  it('keeps its byte count within the bound however many fresh keys arrive', async () => {
    const maxBytes = 256 * 1024;
    const sut = new MemoryIdempotencyStore({ maxEntries: 100_000, maxBytes });
    await storeFresh(sut, 500);
    expect(sut.stats().bytes).toBeLessThanOrEqual(maxBytes);
    expect(sut.stats().bytes).toBeGreaterThan(maxBytes - 16 * 1024);
    expect(sut.stats().entries).toBeLessThan(100);
  });

  it('keeps the heap flat with a fresh key per request (a client that never reuses keys)', async () => {
    const sut = new MemoryIdempotencyStore({ maxEntries: 1_000, maxBytes: 2 * 1024 * 1024 });
    await storeFresh(sut, 2_000);
    const before = heapAfterGc();
    // ~7 KB a record: unbounded, these 20,000 would hold well over 100 MB.
    await storeFresh(sut, 20_000);
    const grown = heapAfterGc() - before;
    expect(grown).toBeLessThan(8 * 1024 * 1024);
    expect(sut.stats().bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
  }, 60_000);
});
