import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { namedFieldsLogger } from './logging';
import { MetricsService } from './metrics.service';
import { RequestContextStore, upstreamWallMs } from './request-context';

const QUIET = /^\/(health\/|metrics)/;

/**
 * One JSON line per request (request id, tenant, route, status, latency, StackOne latency and
 * attempts) and the HTTP metrics, from Fastify hooks: no per-request interceptor or middleware.
 * The line is built from named fields only, so headers and bodies never reach it (and it is
 * written without the redaction pass: see `namedFieldsLogger`).
 */
export function installRequestLogging(fastify: FastifyInstance, rootLogger: PinoLogger, metrics: MetricsService, context: RequestContextStore): void {
  const logger = namedFieldsLogger(rootLogger);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', String(request.id));
    context.enter(done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const ms = reply.elapsedTime;
    const labels = { method: request.method, route, status: String(status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, ms / 1000);
    const path = request.url.split('?', 1)[0];
    // Probes are quiet unless something is wrong: their 503 is the drain (logged once by Lifecycle), and a deploy must not trip error-log alerts.
    if (QUIET.test(path) && (status < 400 || status === 503)) return done();
    // A 4xx is the caller's doing (a burst of 429s is the limiter working): info, not warn; 5xx is ours.
    const level = status >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      const ctx = context.current();
      logger[level](
        {
          reqId: request.id,
          tenantId: request.tenant?.id,
          principal: request.tenant?.principal,
          method: request.method,
          route,
          path,
          status,
          ms: Math.round(ms * 10) / 10,
          ...(ctx && ctx.upstreamCalls > 0
            ? { upstreamMs: Math.round(upstreamWallMs(ctx.upstreamIntervals) * 10) / 10, upstreamCalls: ctx.upstreamCalls, upstreamAttempts: ctx.upstreamAttempts }
            : {}),
        },
        'request completed',
      );
    }
    done();
  });
}
