import { Module, NestModule } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { FastifyInstance } from 'fastify';
import { HealthController } from './health.controller';
import { LifecycleService } from './lifecycle.service';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [LifecycleService],
  exports: [LifecycleService],
})
export class HealthModule implements NestModule {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly lifecycle: LifecycleService,
  ) {}

  /** A Fastify hook (see ObservabilityModule), so it covers every answer, routed or not. */
  configure(): void {
    const lifecycle = this.lifecycle;
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('onSend', (_request, reply, payload, done) => {
      // While draining, answers close their connection so keep-alive clients move to another replica
      // and the server can finish closing once in-flight requests are done.
      if (lifecycle.isDraining()) void reply.header('connection', 'close');
      done(null, payload);
    });
  }
}
