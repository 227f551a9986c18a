import { tracingSettings, TracingOn } from './tracing';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };

function on(env: Record<string, string>): TracingOn {
  const s = tracingSettings(env);
  if (!s.enabled) throw new Error(`expected tracing on, got off (${s.reason})`);
  return s;
}

describe(tracingSettings.name, () => {
  it('is off without an OTLP endpoint, whatever else is set', () => {
    expect(tracingSettings({})).toEqual({ enabled: false });
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toEqual({ enabled: false });
  });

  it('is on with either endpoint variable; defaults: http/protobuf, parentbased_always_on, the SDK batch defaults', () => {
    expect(on(ENDPOINT)).toEqual({ enabled: true, protocol: 'http/protobuf', sampler: 'parentbased_always_on', ratio: 1, batch: {}, endpointOrigin: 'http://collector:4318', logLevel: undefined, warnings: [] });
    expect(on({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://user:pw@otel.example:4318/v1/traces?token=abc' }).endpointOrigin).toBe('https://otel.example:4318');
  });

  it('is off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, and says so', () => {
    expect(tracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' })).toEqual({ enabled: false, reason: 'OTEL_SDK_DISABLED=true' });
    expect(tracingSettings({ ...ENDPOINT, OTEL_SDK_DISABLED: 'false' }).enabled).toBe(true);
    expect(tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' })).toEqual({ enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' });
    expect(tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
    expect(tracingSettings({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'zipkin' })).toEqual({ enabled: false, reason: 'OTEL_TRACES_EXPORTER=zipkin is not supported (otlp or none)' });
  });

  it('takes the protocol from the traces variable first; grpc is refused (tracing off, with the reason)', () => {
    expect(on({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).protocol).toBe('http/json');
    expect(on({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }).protocol).toBe('http/protobuf');
    expect(tracingSettings({ ...ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toEqual({
      enabled: false,
      reason: 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported (http/protobuf or http/json)',
    });
  });

  it('reads the sampler and its ratio; a bad value is warned about and the default used', () => {
    expect(on({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })).toMatchObject({ sampler: 'parentbased_traceidratio', ratio: 0.1, warnings: [] });
    expect(on({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'ALWAYS_OFF' }).sampler).toBe('always_off');
    expect(on({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'ignored' })).toMatchObject({ sampler: 'always_on', ratio: 1, warnings: [] });
    expect(on({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'jaeger_remote' })).toMatchObject({
      sampler: 'parentbased_always_on',
      warnings: ['OTEL_TRACES_SAMPLER=jaeger_remote is not supported: parentbased_always_on used'],
    });
    for (const arg of ['1.5', '-0.1', 'half']) {
      expect(on({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: arg })).toMatchObject({
        ratio: 1,
        warnings: [`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio from 0 to 1: 1 used`],
      });
    }
  });

  it('reads the batch processor variables; a bad one is warned about and left to the default', () => {
    const env = { ...ENDPOINT, OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_BSP_EXPORT_TIMEOUT: '5000', OTEL_BSP_MAX_QUEUE_SIZE: '4096', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '256' };
    expect(on(env).batch).toEqual({ scheduledDelayMillis: 0, exportTimeoutMillis: 5000, maxQueueSize: 4096, maxExportBatchSize: 256 });
    expect(on({ ...ENDPOINT, OTEL_BSP_MAX_QUEUE_SIZE: '0', OTEL_BSP_SCHEDULE_DELAY: '1.5' })).toMatchObject({
      batch: {},
      warnings: ['OTEL_BSP_SCHEDULE_DELAY=1.5 is not a non-negative integer: the default used', 'OTEL_BSP_MAX_QUEUE_SIZE=0 is not a positive integer: the default used'],
    });
    expect(on({ ...ENDPOINT, OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' }).batch).toEqual({ maxQueueSize: 100, maxExportBatchSize: 100 });
  });
});
