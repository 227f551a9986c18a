/**
 * Tracing's settings, from OpenTelemetry's own variables (OTEL_*), read by src/instrument.ts before
 * the app and its validated configuration exist. They follow OpenTelemetry's rules, not env.schema's:
 * a bad value is warned about and replaced by the default (a tracing typo never stops the service).
 * The exporters read the rest themselves (endpoint, headers, timeout, compression, certificates),
 * and the resource detector reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
export type RawTracingEnv = Record<string, string | undefined>;

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

const SAMPLERS: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

export interface BatchSettings {
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
  maxQueueSize?: number;
  maxExportBatchSize?: number;
}

export interface TracingOn {
  enabled: true;
  protocol: OtlpProtocol;
  sampler: SamplerName;
  /** The ratio of the *traceidratio samplers, 0 to 1. */
  ratio: number;
  batch: BatchSettings;
  /** Where spans go, origin only (for the start-up line: a path or query may hold a token). */
  endpointOrigin: string;
  /** OTEL_LOG_LEVEL: the SDK's own diagnostics (export failures) to the console; unset, none. */
  logLevel?: string;
  /** Values replaced by their default, one sentence each, for the start-up line. */
  warnings: string[];
}

export interface TracingOff {
  enabled: false;
  /** Why, when a variable asked for it to be off (undefined: no endpoint, the default). */
  reason?: string;
}

export type TracingSettings = TracingOn | TracingOff;

const BATCH_VARIABLES: Record<keyof BatchSettings, string> = {
  scheduledDelayMillis: 'OTEL_BSP_SCHEDULE_DELAY',
  exportTimeoutMillis: 'OTEL_BSP_EXPORT_TIMEOUT',
  maxQueueSize: 'OTEL_BSP_MAX_QUEUE_SIZE',
  maxExportBatchSize: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
};

const value = (env: RawTracingEnv, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

/** Tracing is on when an OTLP endpoint is set, unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none. */
export function tracingSettings(env: RawTracingEnv): TracingSettings {
  const endpoint = value(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ?? value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (endpoint === undefined) return { enabled: false };
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return { enabled: false, reason: 'OTEL_SDK_DISABLED=true' };
  const exporter = value(env, 'OTEL_TRACES_EXPORTER')?.toLowerCase();
  if (exporter === 'none') return { enabled: false, reason: 'OTEL_TRACES_EXPORTER=none' };
  if (exporter !== undefined && exporter !== 'otlp') return { enabled: false, reason: `OTEL_TRACES_EXPORTER=${exporter} is not supported (otlp or none)` };
  const protocolName = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') !== undefined ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = value(env, protocolName) ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    return { enabled: false, reason: `${protocolName}=${protocol} is not supported (http/protobuf or http/json)` };
  }

  const warnings: string[] = [];
  const samplerValue = value(env, 'OTEL_TRACES_SAMPLER')?.toLowerCase() ?? 'parentbased_always_on';
  let sampler: SamplerName = 'parentbased_always_on';
  if ((SAMPLERS as readonly string[]).includes(samplerValue)) sampler = samplerValue as SamplerName;
  else warnings.push(`OTEL_TRACES_SAMPLER=${samplerValue} is not supported: parentbased_always_on used`);
  let ratio = 1;
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined && sampler.endsWith('traceidratio')) {
    const n = Number(arg);
    if (Number.isFinite(n) && n >= 0 && n <= 1) ratio = n;
    else warnings.push(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio from 0 to 1: 1 used`);
  }
  const batch: BatchSettings = {};
  for (const [key, name] of Object.entries(BATCH_VARIABLES) as [keyof BatchSettings, string][]) {
    const raw = value(env, name);
    if (raw === undefined) continue;
    const n = Number(raw);
    if (Number.isInteger(n) && n >= (key === 'scheduledDelayMillis' ? 0 : 1)) batch[key] = n;
    else warnings.push(`${name}=${raw} is not a ${key === 'scheduledDelayMillis' ? 'non-negative' : 'positive'} integer: the default used`);
  }
  if (batch.maxExportBatchSize !== undefined && batch.maxExportBatchSize > (batch.maxQueueSize ?? 2048)) {
    warnings.push(`OTEL_BSP_MAX_EXPORT_BATCH_SIZE is larger than the queue (OTEL_BSP_MAX_QUEUE_SIZE): the queue's size used`);
    batch.maxExportBatchSize = batch.maxQueueSize ?? 2048;
  }
  return { enabled: true, protocol, sampler, ratio, batch, endpointOrigin: origin(endpoint), logLevel: value(env, 'OTEL_LOG_LEVEL'), warnings };
}

/**
 * The process environment, plus the `.env` file as readEnvironment() (load-config.ts) reads it: the
 * preload runs before main.ts, and OTEL_* variables may be in that file too. Variables already set
 * win over the file's, so main.ts reading it again changes nothing.
 */
export function readTracingEnvironment(): RawTracingEnv {
  try {
    process.loadEnvFile('.env');
  } catch {
    // No .env file: the environment alone is the configuration.
  }
  return process.env;
}

/** A start-up line about tracing, before the app's logger exists: a JSON line in the same shape as pino's. */
export function startupLine(level: 'info' | 'warn', msg: string): void {
  process.stdout.write(`${JSON.stringify({ level, time: new Date().toISOString(), service: 'stackone-connect-service', context: 'Tracing', msg })}\n`);
}
