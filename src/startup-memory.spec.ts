import { getHeapSpaceStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { releaseStartupMemory, releaseStartupMemoryWhenIdle } from './startup-memory';

const newSpaceBytes = (): number => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

describe('releaseStartupMemory', () => {
  it('shrinks the young generation start-up grew, and leaves gc() exposed to no new context', () => {
    const keep: object[] = [];
    for (let i = 0; i < 200_000; i++) keep.push({ i, s: `x${i}` }); // survivors grow the young generation
    const grown = newSpaceBytes();
    keep.length = 0;
    expect(releaseStartupMemory()).toBe(true);
    expect(newSpaceBytes()).toBeLessThan(grown);
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});

describe('releaseStartupMemoryWhenIdle', () => {
  it('skips a period the event loop was busy and collects once in the first idle one', async () => {
    const release = jest.fn();
    releaseStartupMemoryWhenIdle({ periodMs: 100, maxUtilization: 0.5, release });
    const end = Date.now() + 100;
    while (Date.now() < end); // the first period: busy throughout
    await new Promise((r) => setTimeout(r, 20));
    expect(release).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 400));
    expect(release).toHaveBeenCalledTimes(1);
  });
});
