import { connect } from 'node:net';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { TEST_JWT_SECRET } from './support/jwt';
import { freePort, ServiceProcess, startServiceProcess } from './support/processes';

/** Whether something accepts TCP connections on host:port. */
const portOpen = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** METRICS_PORT and API_DOCS_ENABLED (docs/operations.md, "Keeping /metrics and the API docs private"). */
describe('keeping /metrics and the API docs private', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  describe('METRICS_PORT set (bound to METRICS_HOST), API_DOCS_ENABLED=false', () => {
    let svc: ServiceProcess;
    let metricsPort: number;
    // Linux routes all of 127.0.0.0/8 to loopback: a second address shows the bind address is used.
    const METRICS_HOST = '127.0.0.2';
    beforeAll(async () => {
      metricsPort = await freePort();
      svc = await startServiceProcess({
        STACKONE_API_KEY: TEST_STACKONE_KEY,
        STACKONE_BASE_URL: sandbox.url,
        AUTH_JWT_SECRET: TEST_JWT_SECRET,
        METRICS_PORT: String(metricsPort),
        METRICS_HOST,
        API_DOCS_ENABLED: 'false',
        LOG_LEVEL: 'info',
      });
    }, 30_000);
    afterAll(async () => {
      await svc?.stop();
    });

    it('serves /metrics on the metrics port, in Prometheus text, counting the API port requests', async () => {
      await fetch(`${svc.url}/health/live`);
      const res = await fetch(`http://${METRICS_HOST}:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toMatch(/^http_requests_total\{method="GET",route="\/health\/live",status="200"\} \d+$/m);
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(svc.output()).toContain(`Metrics on http://${METRICS_HOST}:${metricsPort}/metrics`);
    });

    it('binds the metrics port to METRICS_HOST only', async () => {
      expect(await portOpen('127.0.0.1', metricsPort)).toBe(false);
    });

    it('answers 404 problem+json for anything else on the metrics port, 405 for a POST', async () => {
      const other = await fetch(`http://${METRICS_HOST}:${metricsPort}/v1/connect-sessions`);
      expect([other.status, other.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
      expect(await other.json()).toMatchObject({ status: 404, title: 'Not Found' });
      const post = await fetch(`http://${METRICS_HOST}:${metricsPort}/metrics`, { method: 'POST' });
      expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    });

    it.each(['/metrics', '/docs', '/docs-json'])('answers 404 problem+json for %s on the API port', async (path) => {
      const res = await fetch(`${svc.url}${path}`);
      expect([res.status, res.headers.get('content-type')]).toEqual([404, expect.stringContaining('application/problem+json')]);
      expect(await res.json()).toMatchObject({ status: 404, instance: path });
    });

    it('closes the metrics port on shutdown', async () => {
      await svc.stop();
      expect(svc.child.exitCode).toBe(0);
      expect(await portOpen(METRICS_HOST, metricsPort)).toBe(false);
    }, 20_000);
  });

  describe('refuses to start', () => {
    it('when the metrics port is taken, naming it', async () => {
      const busy = await freePort();
      const first = await startServiceProcess({ STACKONE_API_KEY: TEST_STACKONE_KEY, STACKONE_BASE_URL: sandbox.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, METRICS_PORT: String(busy) });
      try {
        await expect(
          startServiceProcess({ STACKONE_API_KEY: TEST_STACKONE_KEY, STACKONE_BASE_URL: sandbox.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, METRICS_PORT: String(busy) }),
        ).rejects.toThrow(`METRICS_PORT: cannot listen on 127.0.0.1:${busy} (address already in use)`);
      } finally {
        await first.stop();
      }
    }, 30_000);
  });

  describe('defaults (METRICS_PORT unset, API_DOCS_ENABLED unset)', () => {
    let svc: TestService;
    beforeAll(async () => {
      svc = await startService(sandbox.url);
    });
    afterAll(async () => {
      await svc?.close();
    });

    it('serves /metrics and the docs on the API port, as before', async () => {
      expect((await svc.http().get('/metrics')).status).toBe(200);
      expect((await svc.http().get('/docs-json')).status).toBe(200);
      expect((await svc.http().get('/docs')).status).toBe(200);
    });
  });
});
