import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { LifecycleService } from './health/lifecycle.service';
import { createRootLogger, PinoNestLogger } from './observability/logging';
import { installRequestLogging } from './observability/request-logging';
import { MetricsService } from './observability/metrics.service';
import { createValidationPipe } from './common/request-validation.error';
import { installSecurityHeaders } from './common/security-headers';
import { clientErrorHandler, connectionsCheckingInterval, frameworkErrorHandler, installMethodNotAllowed } from './common/http-edge';
import { installJsonBodyParser } from './common/json-body';
import { AllConfig } from './config/config.types';
import { setupSwagger } from './swagger';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id from the caller when it is a sane token, otherwise a fresh UUID. */
export function requestIdFor(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** Never `true`: a client controls the left-most X-Forwarded-For. A hop count trusts that many proxies. */
function trustProxySetting(value: AllConfig['http']['trustProxy']): false | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address: string, hop: number): boolean => hop < value;
  return value;
}

export interface CreateAppOptions {
  /** Where JSON log lines go (default stdout); tests pass a capturing stream. */
  logDestination?: DestinationStream;
}

/** Builds the whole service (used by main.ts, the e2e tests and the benchmark alike). */
export async function createApp(config: AllConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: trustProxySetting(config.http.trustProxy),
    genReqId: requestIdFor,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Bounds the time a request may take to arrive, so stalled or trickling uploads cannot hold connections.
    requestTimeout: config.http.requestTimeoutMs,
    http: { requestTimeout: config.http.requestTimeoutMs, connectionsCheckingInterval: connectionsCheckingInterval(config.http.requestTimeoutMs) },
    clientErrorHandler: clientErrorHandler(config.http.requestTimeoutMs),
    frameworkErrors: frameworkErrorHandler,
  });
  const rootLogger = createRootLogger(config, options.logDestination);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(rootLogger),
    // Nest's parsers would accept forms; installJsonBodyParser registers the only one.
    bodyParser: false,
  });
  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  installSecurityHeaders(fastify);
  installRequestLogging(fastify, rootLogger, metrics);
  installJsonBodyParser(fastify, config.http.bodyLimitBytes);
  const corsOn = config.http.corsOrigins.length > 0;
  installMethodNotAllowed(fastify, corsOn ? ['OPTIONS'] : []);
  const lifecycle = app.get(LifecycleService);
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, answers close their connection so keep-alive clients move to another replica
    // and the server can finish closing once in-flight requests are done.
    if (lifecycle.isDraining()) void reply.header('connection', 'close');
    done(null, payload);
  });
  if (corsOn) {
    app.enableCors({
      origin: config.http.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
    });
  }
  app.useGlobalPipes(createValidationPipe());
  setupSwagger(app);
  await app.init();
  await fastify.ready();
  return app;
}
