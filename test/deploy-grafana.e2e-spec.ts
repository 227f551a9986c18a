import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './support/deploy-files';
import { exportedMetricNames, scrapeLiveService } from './support/live-metrics';
import { metricNamesInPromQL } from './support/promql';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type: string; uid: string };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboard = JSON.parse(readFileSync(join(repoRoot, 'deploy', 'grafana', 'stackone-connect-service.json'), 'utf8')) as Dashboard;
const allPanels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = allPanels.filter((p) => p.type !== 'row');
const exprs = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
/** A query variable's `label_values(<series selector>, label)`: the selector is PromQL. */
const variableSelectors = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => /^label_values\((.*),\s*\w+\)$/.exec(typeof v.query === 'string' ? v.query : v.query.query)?.[1] ?? `unparsed variable ${v.name}`);
const namesUsed = new Set([...exprs, ...variableSelectors].flatMap((e) => [...metricNamesInPromQL(e)]));

describe('deploy/grafana dashboard', () => {
  it('picks its Prometheus through a datasource variable, used by every panel and query', () => {
    expect(dashboard.templating.list.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const p of queryPanels) {
      expect({ panel: p.title, ds: p.datasource }).toEqual({ panel: p.title, ds: { type: 'prometheus', uid: '${datasource}' } });
      for (const t of p.targets ?? []) expect({ panel: p.title, ds: t.datasource }).toEqual({ panel: p.title, ds: { type: 'prometheus', uid: '${datasource}' } });
    }
    for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) expect(v.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it('has a query on every panel, unique panel ids, and panels inside the 24-column grid', () => {
    for (const p of queryPanels) expect({ panel: p.title, queries: (p.targets ?? []).filter((t) => t.expr.trim() !== '').length > 0 }).toEqual({ panel: p.title, queries: true });
    const ids = allPanels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of allPanels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
  });

  it('shows the API by route, StackOne calls, webhooks in, deliveries out and dead letters, Redis and the outbound budget', () => {
    const byMetric = (metric: string): string[] => exprs.filter((e) => metricNamesInPromQL(e).has(metric));
    expect(byMetric('http_requests_total').some((e) => /by \(route/.test(e))).toBe(true);
    expect(byMetric('http_requests_total').some((e) => e.includes('status=~"5..'))).toBe(true);
    expect(byMetric('http_request_duration_seconds_bucket').some((e) => /histogram_quantile\(0\.95, sum by \(le, route\)/.test(e))).toBe(true);
    expect(byMetric('stackone_calls_total').some((e) => /by \(operation, outcome\)/.test(e))).toBe(true);
    expect(byMetric('stackone_calls_total').some((e) => e.includes('rate-limited'))).toBe(true);
    expect(byMetric('stackone_attempts_total').some((e) => e.includes('* 60'))).toBe(true);
    for (const metric of ['stackone_circuit_breaker_state', 'stackone_webhooks_received_total', 'event_deliveries_total', 'event_dead_letters_total', 'event_delivery_queue_depth', 'redis_degraded']) {
      expect({ metric, panels: byMetric(metric).length > 0 }).toEqual({ metric, panels: true });
    }
  });

  it('shows account health: states, broken accounts by provider, transitions, provider incidents, re-links and time to recovery', () => {
    const byMetric = (metric: string): string[] => exprs.filter((e) => metricNamesInPromQL(e).has(metric));
    // Every replica reports the fleet-wide counts: never summed across replicas.
    expect(byMetric('accounts_by_health').every((e) => e.startsWith('max by'))).toBe(true);
    for (const metric of ['accounts_by_health', 'account_health_transitions_total', 'provider_incidents_open', 'relink_sessions_total', 'account_broken_duration_seconds_bucket']) {
      expect({ metric, panels: byMetric(metric).length > 0 }).toEqual({ metric, panels: true });
    }
  });

  it('finds the metric names of its queries (guards the check below against an empty set)', () => {
    expect(namesUsed.size).toBeGreaterThan(15);
    expect(variableSelectors.every((s) => !s.startsWith('unparsed'))).toBe(true);
  });
});

describe('deploy/grafana dashboard against a live /metrics', () => {
  let exported: Set<string>;
  beforeAll(async () => {
    exported = exportedMetricNames(await scrapeLiveService());
  }, 60_000);

  it("queries only metrics the service exports (besides Prometheus' own `up`)", () => {
    expect([...namesUsed].filter((name) => name !== 'up' && !exported.has(name))).toEqual([]);
  });
});
