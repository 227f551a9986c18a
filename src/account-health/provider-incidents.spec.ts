import { Logger } from '@nestjs/common';
import { testConfigService } from '../../test/support/config';
import { MetricsService } from '../observability/metrics.service';
import { HealthMetrics } from './health-metrics';
import { MemoryIncidentStore } from './incident.store';
import { ProviderIncidents } from './provider-incidents';

describe(ProviderIncidents.name, () => {
  let metrics: MetricsService;
  let sut: ProviderIncidents;
  let logs: string[];
  const t0 = Date.parse('2026-11-30T10:00:00.000Z');
  const gauge = async (provider: string): Promise<number | undefined> => (await metrics.providerIncidentsOpen.get()).values.find((v) => v.labels.provider === provider)?.value;

  beforeEach(() => {
    metrics = new MetricsService();
    const labels = { label: (p: string) => p } as unknown as HealthMetrics;
    sut = new ProviderIncidents(testConfigService({ PROVIDER_INCIDENT_MIN_ACCOUNTS: '5', PROVIDER_INCIDENT_MIN_TENANTS: '3', PROVIDER_INCIDENT_WINDOW_SECONDS: '900' }), new MemoryIncidentStore(), metrics, labels);
    logs = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void logs.push(String(m)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation((m: unknown) => void logs.push(String(m)));
  });
  afterEach(() => jest.restoreAllMocks());

  it('opens at the break that makes 5 accounts of 3 tenants within the window, not before; the same account twice counts once', async () => {
    const answers = [
      await sut.broke('hibob', 'org_a', 'a1', t0),
      await sut.broke('hibob', 'org_a', 'a1', t0 + 1), // the same account again
      await sut.broke('hibob', 'org_a', 'a2', t0 + 2),
      await sut.broke('hibob', 'org_a', 'a3', t0 + 3),
      await sut.broke('hibob', 'org_b', 'b1', t0 + 4),
      await sut.broke('greenhouse', 'org_c', 'c0', t0 + 4), // another provider
      await sut.broke('hibob', 'org_b', 'b2', t0 + 5), // 5 accounts, 2 tenants
      await sut.broke('hibob', 'org_c', 'c1', t0 + 6), // 6 accounts, 3 tenants: crosses
      await sut.broke('hibob', 'org_d', 'd1', t0 + 7),
    ];
    expect(answers).toEqual([false, false, false, false, false, false, false, true, true]);
    expect(await gauge('hibob')).toBe(1);
    expect(logs.filter((l) => l.startsWith('Provider incident started: hibob'))).toHaveLength(1);
  });

  it('ends when fewer than the threshold broke within the window, and a break outside the window does not count', async () => {
    for (const [i, tenant] of ['org_a', 'org_b', 'org_c', 'org_a', 'org_b'].entries()) await sut.broke('hibob', tenant, `acc${i}`, t0 + i * 1000);
    await sut.check(t0 + 10_000);
    expect(await gauge('hibob')).toBe(1);
    await sut.check(t0 + 901_000); // the first break has left the window
    expect(await gauge('hibob')).toBe(0);
    expect(logs.filter((l) => l.startsWith('Provider incident ended: hibob'))).toHaveLength(1);
    expect(await sut.broke('hibob', 'org_c', 'late', t0 + 2_000_000)).toBe(false);
  });
});
