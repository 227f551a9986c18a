import { Test } from '@nestjs/testing';
import { MetricsService } from './metrics.service';
import { RequestContext, RequestContextStore } from './request-context';
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

  it("adds each completed call to the current request's context", () => {
    let seen: RequestContext | undefined;
    requestContext.enter(() => {
      sut.onCallComplete({ operation: 'createConnectSession', outcome: 'success', attempts: 2, durationMs: 12.5 });
      sut.onCallComplete({ operation: 'listAccounts', outcome: 'success', attempts: 1, durationMs: 3 });
      seen = requestContext.current();
    });
    expect(seen).toEqual({ upstreamMs: 15.5, upstreamAttempts: 3, upstreamCalls: 2 });
    expect(requestContext.current()).toBeUndefined();
  });

  it('only counts the call in the metrics outside a request', async () => {
    expect(() => sut.onCallComplete({ operation: 'getProviders', outcome: 'success', attempts: 1, durationMs: 1 })).not.toThrow();
    expect(await metrics.registry.metrics()).toMatch(/stackone_calls_total\{operation="getProviders",outcome="success"\} 1/);
  });
});
