import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import type { Logger as PinoLogger } from 'pino';
import { AuthModule } from './auth/auth.module';
import { HttpEdgeModule } from './http-edge/http-edge.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { createValidationPipe } from './common/request-validation.error';
import type { AllConfig } from './app.config';
import { ConnectSessionsModule } from './connect-sessions/connect-sessions.module';
import { EventRelayModule, RelayQueueModule } from './event-relay/event-relay.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { ProvidersModule } from './providers/providers.module';
import { RedisModule } from './redis/redis.module';
import { StateModule } from './state/state.module';
import { StackOneProblemFilter } from './stackone/stackone-problem.filter';
import { AccountsModule } from './accounts/accounts.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The whole service. Global pieces: the problem+json filter and the validation pipe below, the
 * AuthGuard (APP_GUARD in AuthModule), and the Fastify hooks each module installs for itself in its
 * `configure()`: ObservabilityModule (request id, request context, log line, HTTP metrics),
 * HttpEdgeModule (security headers, JSON-only body parser, 405) and HealthModule (connection: close
 * while draining). Their order on a request follows this list of imports.
 * Global modules are infrastructure only (config, observability, Redis, the relay's queue); a feature
 * module imports the feature modules it uses.
 */
@Module({})
export class AppModule {
  /** The configuration is loaded and validated, and the root logger made, before the module graph exists (see app.factory.ts). */
  static forRoot(config: AllConfig, rootLogger: PinoLogger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [(): AllConfig => config] }),
        ObservabilityModule.forRoot(rootLogger, config),
        HttpEdgeModule,
        RedisModule,
        StateModule,
        AuthModule,
        HealthModule,
        RelayQueueModule.forRoot(config),
        EventsModule,
        EventRelayModule,
        ConnectSessionsModule,
        AccountsModule,
        ProvidersModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        // Tried first (Nest tries the last-registered global filter first): StackOne's failures.
        { provide: APP_FILTER, useClass: StackOneProblemFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
