import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import { createRootLogger, PinoNestLogger } from './observability/logging';
import { clientErrorHandler, connectionsCheckingInterval, frameworkErrorHandler } from './http-edge/http-edge';
import type { AllConfig } from './app.config';
import { setupSwagger } from './swagger';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** X-Request-Id from the caller when it is a sane token, otherwise a fresh UUID. */
function requestIdFor(req: IncomingMessage): string {
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

/**
 * Builds the whole service (used by main.ts, the e2e tests and the benchmark alike): the Fastify
 * adapter's options (they exist before any module), then the modules, which install their own
 * hooks, filter and pipe (see app.module.ts), CORS and the API docs.
 */
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
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, rootLogger), adapter, {
    logger: new PinoNestLogger(rootLogger),
    // Nest's parsers would accept forms; HttpEdgeModule registers the only one.
    bodyParser: false,
  });
  if (config.http.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.http.corsOrigins,
      methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
    });
  }
  await app.init();
  // After init: the docs' routes then reach HttpEdgeModule's 405 like every other route.
  if (config.app.apiDocsEnabled) setupSwagger(app);
  await app.getHttpAdapter().getInstance().ready();
  return app;
}
