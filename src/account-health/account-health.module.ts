import { Module } from '@nestjs/common';
import { AccountMirrorModule } from '../account-mirror/account-mirror.module';
import { EventBusModule } from '../event-bus/event-bus.module';
import { ProvidersModule } from '../providers/providers.module';
import { StackOneModule } from '../stackone/stackone.module';
import { AccountHealthService } from './account-health.service';
import { AccountReconciler } from './account-reconciler';
import { HealthMetrics } from './health-metrics';
import { ProviderIncidents } from './provider-incidents';

/** Account health: the state of every account the service sees, its transitions as events, the metrics. */
@Module({
  imports: [StackOneModule, EventBusModule, ProvidersModule, AccountMirrorModule],
  providers: [AccountHealthService, HealthMetrics, AccountReconciler, ProviderIncidents],
  exports: [AccountHealthService],
})
export class AccountHealthModule {}
