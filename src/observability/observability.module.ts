import { DynamicModule, Global, Inject, Module, NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import type { AllConfig } from '../app.config';
import { STACKONE_OBSERVER } from '../stackone/stackone.observer';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { MetricsService } from './metrics.service';
import { RequestContextStore } from './request-context';
import { installRequestLogging } from './request-logging';
import { StackOneTelemetry } from './stackone-telemetry';

/** The process's root pino logger (made before Nest, so Nest's own messages use it too). */
const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * Metrics, the request log line and the request context. The per-request part is a pair of Fastify
 * hooks, installed from `configure()`: Nest calls it before it registers routes, and hooks (unlike
 * Nest middleware or interceptors) also see 404s, 405s and errors raised before routing.
 */
@Global()
@Module({})
export class ObservabilityModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(ROOT_LOGGER) private readonly rootLogger: PinoLogger,
    private readonly metrics: MetricsService,
    private readonly requestContext: RequestContextStore,
  ) {}

  /** With METRICS_PORT, /metrics lives on MetricsServer's own listener and the API port has no such route. */
  static forRoot(rootLogger: PinoLogger, config: AllConfig): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: config.app.metricsPort === undefined ? [MetricsController] : [],
      providers: [
        { provide: ROOT_LOGGER, useValue: rootLogger },
        MetricsService,
        MetricsServer,
        RequestContextStore,
        StackOneTelemetry,
        { provide: STACKONE_OBSERVER, useExisting: StackOneTelemetry },
      ],
      exports: [ROOT_LOGGER, MetricsService, STACKONE_OBSERVER],
    };
  }

  configure(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    installRequestLogging(fastify, this.rootLogger, this.metrics, this.requestContext);
  }
}
