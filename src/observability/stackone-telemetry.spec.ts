import { Test } from '@nestjs/testing';
import { MetricsService } from './metrics.service';
import { RequestContext, RequestContextStore, upstreamWallMs } from './request-context';
import { StackOneTelemetry } from './stackone-telemetry';

describe(StackOneTelemetry.name, () => {
  let sut: StackOneTelemetry;
  let requestContext: RequestContextStore;
  let metrics: MetricsService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ providers: [MetricsService, RequestContextStore, StackOneTelemetry] }).compile();
    sut = moduleRef.get(StackOneTelemetry);
    requestContext = moduleRef.get(RequestContextStore);
    metrics = moduleRef.get(MetricsService);
  });

  afterEach(() => jest.restoreAllMocks());

  it("adds each completed call to the current request's context as the interval it ran in", () => {
    const now = jest.spyOn(performance, 'now');
    let seen: RequestContext | undefined;
    requestContext.enter(() => {
      now.mockReturnValueOnce(1012.5);
      sut.onCallComplete({ operation: 'createConnectSession', outcome: 'success', attempts: 2, durationMs: 12.5 });
      now.mockReturnValueOnce(1020);
      sut.onCallComplete({ operation: 'listAccounts', outcome: 'success', attempts: 1, durationMs: 3 });
      seen = requestContext.current();
    });
    expect(seen).toEqual({ upstreamIntervals: [[1000, 1012.5], [1017, 1020]], upstreamAttempts: 3, upstreamCalls: 2 });
    expect(upstreamWallMs(seen?.upstreamIntervals ?? [])).toBe(15.5);
    expect(requestContext.current()).toBeUndefined();
  });

  it('counts two concurrent 100 ms calls as about 100 ms of upstream time, not 200', () => {
    const now = jest.spyOn(performance, 'now');
    let seen: RequestContext | undefined;
    requestContext.enter(() => {
      now.mockReturnValueOnce(1100);
      sut.onCallComplete({ operation: 'listAccounts', outcome: 'success', attempts: 1, durationMs: 100 });
      now.mockReturnValueOnce(1105);
      sut.onCallComplete({ operation: 'createConnectSession', outcome: 'success', attempts: 1, durationMs: 100 });
      seen = requestContext.current();
    });
    expect(upstreamWallMs(seen?.upstreamIntervals ?? [])).toBe(105);
  });

  it('only counts the call in the metrics outside a request', async () => {
    expect(() => sut.onCallComplete({ operation: 'getProviders', outcome: 'success', attempts: 1, durationMs: 1 })).not.toThrow();
    expect(await metrics.registry.metrics()).toMatch(/stackone_calls_total\{operation="getProviders",outcome="success"\} 1/);
  });
});

describe(upstreamWallMs.name, () => {
  it('is the length of the union of the intervals, in any order', () => {
    expect(upstreamWallMs([])).toBe(0);
    expect(upstreamWallMs([[0, 100]])).toBe(100);
    expect(upstreamWallMs([[0, 100], [0, 100]])).toBe(100);
    expect(upstreamWallMs([[50, 150], [0, 100]])).toBe(150);
    expect(upstreamWallMs([[0, 300], [10, 20], [250, 260]])).toBe(300);
    expect(upstreamWallMs([[0, 10], [20, 30], [25, 40], [100, 101]])).toBe(31);
    expect(upstreamWallMs([[0, 10], [10, 20]])).toBe(20);
  });
});
