import { Module, NestModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { AllConfig } from '../app.config';
import { installMethodNotAllowed } from './http-edge';
import { installJsonBodyParser } from './json-body';
import { installSecurityHeaders } from './security-headers';

/**
 * What every answer gets at the HTTP edge, routes or not: the security headers, the one JSON body
 * parser, and 405 with Allow for a known path's other methods. Fastify hooks installed from
 * `configure()`, which Nest calls before it registers routes (the 405 collects them as they come).
 */
@Module({})
export class HttpEdgeModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  configure(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const http = this.config.get('http', { infer: true });
    installSecurityHeaders(fastify);
    installJsonBodyParser(fastify, http.bodyLimitBytes);
    // OPTIONS is answered for every path by the CORS plugin when CORS is on.
    installMethodNotAllowed(fastify, http.corsOrigins.length > 0 ? ['OPTIONS'] : []);
  }
}
