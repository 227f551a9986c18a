import { Test } from '@nestjs/testing';
import { ClsModule, ClsService } from 'nestjs-cls';
import { MetricsService } from './metrics.service';
import { RequestContext } from './request-context';
import { StackOneTelemetry } from './stackone-telemetry';

describe(StackOneTelemetry.name, () => {
  let sut: StackOneTelemetry;
  let cls: ClsService<RequestContext>;
  let metrics: MetricsService;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ClsModule.forRoot({ global: true })], providers: [MetricsService, StackOneTelemetry] }).compile();
    sut = moduleRef.get(StackOneTelemetry);
    cls = moduleRef.get(ClsService);
    metrics = moduleRef.get(MetricsService);
  });

  it("adds each completed call to the current request's context (nestjs-cls store)", () => {
    const context: RequestContext = { upstreamMs: 0, upstreamAttempts: 0, upstreamCalls: 0 };
    cls.runWith(context, () => {
      sut.onCallComplete({ operation: 'createConnectSession', outcome: 'success', attempts: 2, durationMs: 12.5 });
      sut.onCallComplete({ operation: 'listAccounts', outcome: 'success', attempts: 1, durationMs: 3 });
    });
    expect(context).toEqual({ upstreamMs: 15.5, upstreamAttempts: 3, upstreamCalls: 2 });
  });

  it('only counts the call in the metrics outside a request', async () => {
    expect(() => sut.onCallComplete({ operation: 'getProviders', outcome: 'success', attempts: 1, durationMs: 1 })).not.toThrow();
    expect(await metrics.registry.metrics()).toMatch(/stackone_calls_total\{operation="getProviders",outcome="success"\} 1/);
  });
});
