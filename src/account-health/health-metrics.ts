import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../observability/metrics.service';
import { ProvidersService } from '../providers/providers.service';
import { ACCOUNT_HEALTH_STORE, AccountHealthStore } from './account-health.store';
import type { HealthState } from './health';

/** Provider labels are bounded by the connector catalogue: any other provider is counted as 'other'. */
export const OTHER_PROVIDER = 'other';

/** The account-health metrics: accounts_by_health from the store's fleet-wide counts, transitions, broken durations. */
@Injectable()
export class HealthMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly providers: ProvidersService,
    @Inject(ACCOUNT_HEALTH_STORE) private readonly store: AccountHealthStore,
  ) {}

  onModuleInit(): void {
    this.metrics.refreshAccountsByHealth = (): Promise<void> => this.refresh();
  }

  /** `provider` if the cached catalogue lists it, else 'other' (no catalogue fetched yet: 'other'). Never waits on StackOne. */
  label(provider: string): string {
    return this.providers.listsCached(provider) === true ? provider : OTHER_PROVIDER;
  }

  transitioned(provider: string, _from: HealthState | undefined, to: HealthState): void {
    this.metrics.accountHealthTransitions.inc({ to, provider: this.label(provider) });
  }

  recovered(_provider: string, brokenForSeconds: number, afterRelink: boolean): void {
    this.metrics.accountBrokenDuration.observe(brokenForSeconds);
    if (afterRelink) this.metrics.relinkSessions.inc({ outcome: 'recovered' });
  }

  private async refresh(): Promise<void> {
    const counts = await this.store.counts();
    const summed = new Map<string, { state: HealthState; provider: string; count: number }>();
    for (const c of counts) {
      const provider = this.label(c.provider);
      const key = `${c.state}|${provider}`;
      const entry = summed.get(key) ?? { state: c.state, provider, count: 0 };
      entry.count += c.count;
      summed.set(key, entry);
    }
    this.metrics.accountsByHealth.reset();
    for (const c of summed.values()) this.metrics.accountsByHealth.set({ state: c.state, provider: c.provider }, c.count);
  }
}
