import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { AllConfig } from './config/config.types';
import { ConnectSessionsModule } from './connect-sessions/connect-sessions.module';
import { HealthModule } from './health/health.module';
import { ObservabilityModule } from './observability/observability.module';
import { ProvidersModule } from './providers/providers.module';
import { RedisModule } from './redis/redis.module';
import { StackOneProblemFilter } from './stackone/stackone-problem.filter';
import { ThrottlingModule } from './throttling/throttling.module';
import { AccountsModule } from './accounts/accounts.module';

@Module({})
export class AppModule {
  /** The configuration is loaded and validated before the module graph exists (see app.factory.ts). */
  static forRoot(config: AllConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [(): AllConfig => config] }),
        ObservabilityModule,
        RedisModule,
        AuthModule,
        ThrottlingModule,
        HealthModule,
        ConnectSessionsModule,
        AccountsModule,
        ProvidersModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ProblemDetailsFilter }, { provide: APP_FILTER, useClass: StackOneProblemFilter }],
    };
  }
}
