import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { operationsAnchors, prometheusDir, prometheusRuleFiles } from './support/deploy-files';
import { exportedMetricNames, scrapeLiveService } from './support/live-metrics';
import { counterValue } from './support/metrics';
import { metricNamesInPromQL } from './support/promql';
import { describeWithPromtool, promtoolPath } from './support/promtool';

const ruleFiles = prometheusRuleFiles();
const rules = ruleFiles.flatMap((f) => f.groups.flatMap((g) => g.rules.map((r) => ({ ...r, file: f.file }))));
const alerts = rules.filter((r) => r.alert !== undefined);
const recorded = new Set(rules.flatMap((r) => (r.record === undefined ? [] : [r.record])));

describeWithPromtool('deploy/prometheus through promtool', () => {
  const promtool = (args: string[], cwd = prometheusDir): { status: number | null; output: string } => {
    const run = spawnSync(promtoolPath ?? 'promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  };
  const files = (suffix: string, dir = prometheusDir): string[] => readdirSync(dir).filter((f) => f.endsWith(suffix)).sort();

  it('promtool check rules: every rules file is valid', () => {
    const run = promtool(['check', 'rules', ...files('.rules.yml')]);
    expect(run.output).not.toMatch(/FAILED/);
    expect(run.status).toBe(0);
  }, 60_000);

  it('promtool test rules: every rule test passes', () => {
    const run = promtool(['test', 'rules', ...files('.test.yml')]);
    expect(run.output).not.toMatch(/FAILED/);
    expect(run.status).toBe(0);
  }, 60_000);

  it("the rule tests pin the thresholds: a fast burn at a tenth of 14.4x, or 4xx counted as StackOne failing, fails them", () => {
    const dir = mkdtempSync(join(tmpdir(), 'scs-rules-'));
    try {
      cpSync(prometheusDir, dir, { recursive: true });
      const edit = (file: string, from: string, to: string): void => {
        const text = readFileSync(join(dir, file), 'utf8');
        expect(text).toContain(from);
        writeFileSync(join(dir, file), text.replaceAll(from, to));
      };
      edit('slo.rules.yml', '(14.4 * 0.005)', '(1.44 * 0.005)');
      edit('service.rules.yml', 'status=~"5..|none"', 'status=~"4..|5..|none"');
      const run = promtool(['test', 'rules', ...files('.test.yml', dir)], dir);
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/alertname: ConnectSessionErrorBudgetFastBurn/);
      expect(run.output).toMatch(/alertname: StackOneFailing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('deploy/prometheus rules', () => {
  it('has the alerts the issue asks for', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      [
        'AccountsBreakingSurge',
        'ProviderIncident',
        'ConnectSessionErrorBudgetFastBurn',
        'ConnectSessionErrorBudgetSlowBurn',
        'ConnectSessionLatencyBudgetFastBurn',
        'ConnectSessionLatencyBudgetSlowBurn',
        'EventDeadLetters',
        'EventDeliveryBacklog',
        'EventsNotQueued',
        'RedisDegraded',
        'ReplicaDown',
        'ServiceDown',
        'StackOneCircuitBreakerOpen',
        'StackOneFailing',
        'StackOneOutboundBudgetExhausted',
        'StackOneWebhooksBadSignatures',
        'StackOneWebhooksRefused',
      ].sort(),
    );
  });

  it('gives every alert a severity, a summary and a runbook section that exists in docs/operations.md', () => {
    const anchors = operationsAnchors();
    for (const a of alerts) {
      expect({ alert: a.alert, severity: a.labels?.severity }).toEqual({ alert: a.alert, severity: expect.stringMatching(/^(critical|warning)$/) });
      expect(a.annotations?.summary).toEqual(expect.any(String));
      const runbook = /^docs\/operations\.md#([\w-]+)$/.exec(a.annotations?.runbook_url ?? '');
      expect({ alert: a.alert, runbook: a.annotations?.runbook_url, found: runbook !== null && anchors.has(runbook[1]) }).toEqual({
        alert: a.alert,
        runbook: a.annotations?.runbook_url,
        found: true,
      });
    }
  });

  it('tests every alert in a *.test.yml, firing at least once', () => {
    const fired = new Set<string>();
    for (const file of readdirSync(prometheusDir).filter((f) => f.endsWith('.test.yml'))) {
      const doc = parse(readFileSync(join(prometheusDir, file), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
      for (const t of doc.tests) for (const a of t.alert_rule_test ?? []) if (a.exp_alerts.length > 0) fired.add(a.alertname);
    }
    expect([...alerts.map((a) => a.alert as string)].filter((name) => !fired.has(name))).toEqual([]);
  });

  it('finds metric names in PromQL, not functions, labels, keywords or variables', () => {
    expect([
      ...metricNamesInPromQL(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route=~"/v1/.*",job="$job"}[$__rate_interval]))) > on (job) group_left bool scs:x:ratio_rate5m offset 5m or absent(up{job="a b"}) unless count without(instance) (redis_degraded == 1)',
      ),
    ].sort()).toEqual(['http_request_duration_seconds_bucket', 'redis_degraded', 'scs:x:ratio_rate5m', 'up'].sort());
  });
});

describe('deploy/prometheus against a live /metrics', () => {
  let text: string;
  let exported: Set<string>;
  beforeAll(async () => {
    text = await scrapeLiveService();
    exported = exportedMetricNames(text);
  }, 60_000);

  it('reads only metrics the service exports (besides Prometheus’ own `up` and the recording rules’ names)', () => {
    const used = new Set(rules.flatMap((r) => [...metricNamesInPromQL(r.expr)]));
    expect(used.size).toBeGreaterThan(8);
    expect(used).toContain('http_request_duration_seconds_bucket');
    expect([...used].filter((name) => name !== 'up' && !recorded.has(name) && !exported.has(name))).toEqual([]);
  });

  it("selects session creation by the labels the service writes (the SLO's route, method and le bucket)", () => {
    const labels = { method: 'POST', route: '/v1/connect-sessions', status: '201' };
    expect(counterValue(text, 'http_requests_total', labels)).toBeGreaterThan(0);
    expect(counterValue(text, 'http_request_duration_seconds_bucket', { ...labels, le: '1' })).toBeGreaterThan(0);
    const slo = readFileSync(join(prometheusDir, 'slo.rules.yml'), 'utf8');
    expect(slo).toContain('method="POST",route="/v1/connect-sessions"');
    expect(slo).toContain('le="1"');
  });

  it('reads every recording rule it defines', () => {
    const read = new Set(alerts.flatMap((a) => [...metricNamesInPromQL(a.expr)]));
    expect([...recorded].filter((name) => !read.has(name))).toEqual([]);
  });
});
