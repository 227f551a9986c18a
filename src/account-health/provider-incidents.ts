import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AllConfig } from '../app.config';
import { MetricsService } from '../observability/metrics.service';
import type { AccountHealthConfig } from './account-health.config';
import { HealthMetrics } from './health-metrics';
import { INCIDENT_STORE, IncidentStore } from './incident.store';

/** How often open incidents are checked for their end (and the gauge refreshed), at most. */
const CHECK_EVERY_MS = 30_000;

/**
 * A provider's incident: at least PROVIDER_INCIDENT_MIN_ACCOUNTS of its accounts, of at least
 * PROVIDER_INCIDENT_MIN_TENANTS tenants, broke within PROVIDER_INCIDENT_WINDOW_SECONDS. The break
 * that crosses the threshold, and every one after it while it lasts, carries providerIncident:
 * true. Counted fleet-wide through Redis (per process without it). The replica that opens it logs
 * the start; the one that finds fewer breaks than the threshold in the window closes it and logs the end.
 */
@Injectable()
export class ProviderIncidents implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ProviderIncidents');
  private readonly settings: AccountHealthConfig['incident'];
  private timer?: NodeJS.Timeout;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(INCIDENT_STORE) private readonly store: IncidentStore,
    private readonly metrics: MetricsService,
    private readonly labels: HealthMetrics,
  ) {
    this.settings = config.get('accountHealth', { infer: true }).incident;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check().catch(() => undefined), Math.min(CHECK_EVERY_MS, Math.max(1_000, this.settings.windowMs / 2))).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Counts the break; true when the provider's incident is open with it. A store failure counts as none. */
  async broke(provider: string, tenantId: string, accountId: string, atMs = Date.now()): Promise<boolean> {
    try {
      const count = await this.store.broke(provider, tenantId, accountId, atMs, this.settings.windowMs);
      if (!this.reached(count)) return false;
      if (await this.store.open(provider, atMs)) {
        this.logger.warn(`Provider incident started: ${provider} (${count.accounts} accounts of ${count.tenants} tenants broke within ${this.settings.windowMs / 1000} s); account.broken events carry providerIncident: true.`);
        this.setGauge(provider, 1);
      }
      return true;
    } catch (err) {
      this.logger.warn(`Provider incident count failed for ${provider} (${err instanceof Error ? err.message : String(err)}).`);
      return false;
    }
  }

  /** Ends the incidents whose window holds fewer breaks than the threshold; refreshes the gauge. */
  async check(now = Date.now()): Promise<void> {
    for (const provider of await this.store.openProviders()) {
      const count = await this.store.count(provider, now, this.settings.windowMs);
      if (this.reached(count)) {
        this.setGauge(provider, 1);
        continue;
      }
      if (await this.store.close(provider)) {
        this.logger.log(`Provider incident ended: ${provider} (${count.accounts} accounts of ${count.tenants} tenants broke within the last ${this.settings.windowMs / 1000} s).`);
      }
      this.setGauge(provider, 0);
    }
  }

  private reached(count: { accounts: number; tenants: number }): boolean {
    return count.accounts >= this.settings.minAccounts && count.tenants >= this.settings.minTenants;
  }

  private setGauge(provider: string, open: 0 | 1): void {
    this.metrics.providerIncidentsOpen.set({ provider: this.labels.label(provider) }, open);
  }
}
