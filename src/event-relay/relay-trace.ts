import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RelayJob } from './relay-job';

/**
 * The trace that caused an event, carried to its subscribers: the W3C trace context of the active
 * span when the event is queued rides in the job (through BullMQ or memory alike), and each attempt
 * runs in a span that continues it, so the subscriber's request (traced by the undici
 * instrumentation) carries a `traceparent` of that trace. Only @opentelemetry/api is used: with
 * tracing off its propagator and tracer are no-ops, nothing is stored and no span is made.
 */
export type TraceCarrier = Record<string, string>;

const tracer = trace.getTracer('stackone-connect-service');

/** The active trace context as headers (`traceparent`, `tracestate`), or undefined when there is none. */
export function currentTraceCarrier(): TraceCarrier | undefined {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent === undefined ? undefined : carrier;
}

/** Runs one delivery attempt in a consumer span, child of the trace the job carries (none without one). */
export function inDeliverySpan<T>(job: RelayJob, attemptNumber: number, queue: 'bullmq' | 'in-process', work: () => Promise<T>): Promise<T> {
  if (job.trace === undefined) return work();
  const parent = propagation.extract(ROOT_CONTEXT, job.trace);
  const attributes = {
    'messaging.system': queue,
    'messaging.operation.type': 'process',
    'messaging.destination.name': job.subscriber,
    'messaging.message.id': job.webhookId,
    'event.type': job.type,
    'relay.attempt': attemptNumber,
  };
  return tracer.startActiveSpan(`deliver ${job.subscriber}`, { kind: SpanKind.CONSUMER, attributes }, parent, async (span) => {
    try {
      return await work();
    } catch (err) {
      // The error's message is the attempt's result class ('5xx', 'timeout'): no URL, no body.
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : 'error' });
      throw err;
    } finally {
      span.end();
    }
  });
}
