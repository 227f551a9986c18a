import { Global, Module } from '@nestjs/common';
import { STACKONE_OBSERVER } from '../stackone/stackone.observer';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { StackOneTelemetry } from './stackone-telemetry';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, StackOneTelemetry, { provide: STACKONE_OBSERVER, useExisting: StackOneTelemetry }],
  exports: [MetricsService, STACKONE_OBSERVER],
})
export class ObservabilityModule {}
