import { healthStateOf, MAX_REASON_CHARS, newestReasonTime, reasonsOf, statusesOf } from './health';

describe('account health mapping', () => {
  it.each([
    ['active', 'healthy'],
    ['error', 'broken'],
    ['expired', 'broken'],
    ['suspended', 'paused'],
    ['inactive', 'paused'],
    ['archived', 'unknown'],
    ['quarantined', 'unknown'],
    ['', 'unknown'],
    [undefined, 'unknown'],
    [null, 'unknown'],
  ])('%s → %s', (status, state) => {
    expect(healthStateOf(status)).toBe(state);
  });

  it('names the StackOne statuses of each state, none for unknown', () => {
    expect(statusesOf('broken')).toEqual(['error', 'expired']);
    expect(statusesOf('paused')).toEqual(['suspended', 'inactive']);
    expect(statusesOf('healthy')).toEqual(['active']);
    expect(statusesOf('unknown')).toEqual([]);
  });

  it('keeps code and description only, at most 5 reasons, each string cut to 200 characters', () => {
    const long = 'x'.repeat(500);
    const reasons = reasonsOf([
      { code: 'expired_token', description: long, timestamp: '2026-11-01T00:00:00Z', secret: 'never' } as never,
      { description: 'no code', timestamp: '2026-11-01T00:00:00Z' },
      { code: null, description: null, timestamp: '2026-11-01T00:00:00Z' },
      ...Array.from({ length: 5 }, (_, i) => ({ code: `c${i}`, timestamp: '2026-11-01T00:00:00Z' })),
    ]);
    expect(reasons).toHaveLength(5);
    expect(reasons[0]).toEqual({ code: 'expired_token', description: 'x'.repeat(MAX_REASON_CHARS) });
    expect(reasons[1]).toEqual({ description: 'no code' });
    expect(reasons[2]).toEqual({});
    expect(reasonsOf(undefined)).toEqual([]);
    expect(reasonsOf(null)).toEqual([]);
  });

  it('since: the newest valid reason timestamp, undefined without one', () => {
    expect(newestReasonTime([{ timestamp: '2026-11-01T10:00:00Z' }, { timestamp: '2026-11-02T09:00:00.000Z' }, { timestamp: 'garbage' }])).toBe('2026-11-02T09:00:00.000Z');
    expect(newestReasonTime([{ timestamp: 'garbage' }])).toBeUndefined();
    expect(newestReasonTime([])).toBeUndefined();
    expect(newestReasonTime(undefined)).toBeUndefined();
  });
});
