import { context, diag, DiagConsoleLogger, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { diagLogLevelFromString, getRPCMetadata, RPCType, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, ParentBasedSampler, Sampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { startupLine, TracingOn } from '../config/tracing';

/**
 * The OpenTelemetry SDK, loaded by src/instrument.ts only when tracing is on (so it costs nothing
 * otherwise). Spans: the inbound request (instrumentation-http, continuing the caller's
 * `traceparent`; named by Fastify's route), StackOne and subscriber calls (instrumentation-undici,
 * which sends `traceparent` on), Redis commands inside a traced request (instrumentation-ioredis),
 * relay deliveries (src/event-relay/relay-trace.ts); log lines get trace_id and span_id
 * (instrumentation-pino). No header, body, Redis argument or query value is recorded.
 */
export function startTracing(settings: TracingOn): TracerProvider {
  const logLevel = settings.logLevel === undefined ? undefined : diagLogLevelFromString(settings.logLevel);
  if (logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel });

  const exporter = settings.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter();
  const provider = new TracerProvider({
    resource: defaultResource()
      .merge(resourceFromAttributes({ 'service.name': 'stackone-connect-service' }))
      .merge(detectResources({ detectors: [envDetector] })),
    sampler: samplerFor(settings),
    spanProcessors: [new BatchSpanProcessor({ exporter, ...settings.batch })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  // Trace context only: W3C baggage from a caller is not passed on to StackOne or subscribers.
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);

  // Constructed instrumentations enable themselves: the require hooks must be in place before main.js loads the app.
  new HttpInstrumentation({
    // Outbound calls go through undici (below); probes and scrapes would be a root span every few seconds.
    disableOutgoingRequestInstrumentation: true,
    ignoreIncomingRequestHook: (req: IncomingMessage) => /^\/(health|metrics)(\/|\?|$)/.test(req.url ?? ''),
    startIncomingSpanHook: (req: IncomingMessage) => queryAttributes(req.url ?? ''),
  });
  new UndiciInstrumentation({
    // A subscriber's URL may carry a token in its query: values never reach a span.
    startSpanHook: (req) => {
      const url = safeUrl(req.origin, req.path);
      return url ? { 'url.full': url.full, 'url.query': url.query } : {};
    },
  });
  // Command names only: keys and arguments may be session tokens or an AUTH password. Commands outside
  // a traced request (BullMQ's polling, health pings) make no span.
  new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command: string) => command });
  new PinoInstrumentation({ disableLogSending: true });

  // Fastify announces each instance it creates: name the request span by its route, flush at close.
  subscribe('fastify.initialization', (message) => {
    const { fastify } = message as { fastify: FastifyInstance };
    fastify.addHook('onRequest', nameSpanByRoute);
    fastify.addHook('onClose', () => provider.forceFlush({ timeoutMillis: FLUSH_AT_CLOSE_MS }).catch(() => undefined));
  });

  const sampling = settings.sampler.endsWith('traceidratio') ? `${settings.sampler} ${settings.ratio}` : settings.sampler;
  startupLine('info', `Tracing on: OTLP ${settings.protocol} to ${settings.endpointOrigin}, sampler ${sampling}`);
  for (const warning of settings.warnings) startupLine('warn', warning);
  return provider;
}

/** Longest wait for the last spans when the server closes (SIGTERM), so shutdown stays bounded. */
const FLUSH_AT_CLOSE_MS = 2_000;

function samplerFor({ sampler, ratio }: TracingOn): Sampler {
  const root = sampler.endsWith('always_off') ? new AlwaysOffSampler() : sampler.endsWith('traceidratio') ? new TraceIdRatioBasedSampler(ratio) : new AlwaysOnSampler();
  return sampler.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** http.route and the span's name ("POST /v1/connect-sessions") from Fastify's route, read by instrumentation-http at the end. */
function nameSpanByRoute(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const metadata = getRPCMetadata(context.active());
  const route = request.routeOptions.url;
  if (metadata?.type === RPCType.HTTP && route !== undefined) metadata.route = route;
  done();
}

/** Query parameters by name only: every value becomes REDACTED. */
function redactedQuery(search: URLSearchParams): string {
  return [...search.keys()].map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&');
}

function queryAttributes(path: string): Record<string, string> {
  const q = path.indexOf('?');
  return q < 0 ? {} : { 'url.query': redactedQuery(new URLSearchParams(path.slice(q + 1))) };
}

function safeUrl(origin: string, path: string): { full: string; query: string } | undefined {
  try {
    const url = new URL(path, origin);
    const query = redactedQuery(url.searchParams);
    return { full: `${url.origin}${url.pathname}${query ? `?${query}` : ''}`, query };
  } catch {
    return undefined;
  }
}
