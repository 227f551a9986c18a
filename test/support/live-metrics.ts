import { TEST_STACKONE_KEY } from './config';
import { bearer, TEST_JWT_SECRET } from './jwt';
import { startServiceProcess } from './processes';
import { startStackOneStandIn } from './stackone-stand-in';
import { accountWebhook, postStackOneWebhook } from './stackone-webhook';

/** The series names a /metrics text declares (`# TYPE` lines), histograms and summaries with their sample suffixes. */
export function exportedMetricNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const m of metricsText.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/**
 * /metrics of the built service (dist/main.js) as a process against a StackOne stand-in, after a
 * session was created, a StackOne webhook taken in and one refused, so labelled series exist too.
 */
export async function scrapeLiveService(): Promise<string> {
  const webhookSecret = `whsec_live_metrics_${Date.now()}`;
  const standIn = await startStackOneStandIn({ apiKey: TEST_STACKONE_KEY });
  try {
    const svc = await startServiceProcess({
      STACKONE_API_KEY: TEST_STACKONE_KEY,
      STACKONE_BASE_URL: standIn.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      STACKONE_WEBHOOK_SECRET: webhookSecret,
    });
    try {
      const created = await fetch(`${svc.url}/v1/connect-sessions`, {
        method: 'POST',
        headers: { authorization: await bearer({ org_id: 'org_metrics', org_name: 'Metrics Inc' }), 'content-type': 'application/json' },
        body: JSON.stringify({ provider: 'hibob' }),
      });
      if (created.status !== 201) throw new Error(`POST /v1/connect-sessions answered ${created.status}: ${await created.text()}`);
      const accepted = await postStackOneWebhook(svc.url, webhookSecret, accountWebhook({ origin_owner_id: 'org_metrics', origin_owner_name: 'Metrics Inc' }));
      if (accepted.status >= 300) throw new Error(`the signed webhook was answered ${accepted.status}`);
      const refused = await postStackOneWebhook(svc.url, 'not-the-secret', accountWebhook());
      if (refused.status !== 401) throw new Error(`the badly signed webhook was answered ${refused.status}`);
      const metrics = await fetch(`${svc.url}/metrics`);
      if (metrics.status !== 200) throw new Error(`GET /metrics answered ${metrics.status}`);
      return await metrics.text();
    } finally {
      await svc.stop();
    }
  } finally {
    await standIn.close();
  }
}
