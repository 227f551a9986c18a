import { once } from 'node:events';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { TEST_STACKONE_KEY } from './support/config';
import { TEST_JWT_SECRET } from './support/jwt';
import { ServiceProcess, startServiceProcess } from './support/processes';

/** Resolves with whether the child exited within `ms` ('close': after its output is read, unlike 'exit'). */
const exitsWithin = (svc: ServiceProcess, ms: number): Promise<boolean> =>
  Promise.race([once(svc.child, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

/** dist/main.js with a long drain grace: SIGTERM (orchestrators) drains, SIGINT (Ctrl-C) stops at once. */
describe('stopping the service process', () => {
  let sandbox: Sandbox;
  let svc: ServiceProcess | undefined;
  const start = (): Promise<ServiceProcess> =>
    startServiceProcess({ STACKONE_API_KEY: TEST_STACKONE_KEY, STACKONE_BASE_URL: sandbox.url, AUTH_JWT_SECRET: TEST_JWT_SECRET, SHUTDOWN_GRACE_MS: '8000', LOG_LEVEL: 'info' });

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
  });
  afterEach(async () => {
    svc?.child.kill('SIGKILL');
    if (svc && svc.child.exitCode === null && svc.child.signalCode === null) await once(svc.child, 'exit');
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('stops promptly on SIGINT, without the drain grace', async () => {
    svc = await start();
    svc.child.kill('SIGINT');
    expect(await exitsWithin(svc, 3_000)).toBe(true);
    // The shutdown line reaches the log (it used to be lost when the re-raised signal killed the process first).
    expect(svc.output()).toContain('SIGINT: stopping now');
    expect(svc.child.exitCode).toBe(0);
  }, 30_000);

  it('still drains on SIGTERM: unready, and alive through the grace', async () => {
    svc = await start();
    svc.child.kill('SIGTERM');
    expect(await exitsWithin(svc, 1_500)).toBe(false);
    expect((await fetch(`${svc.url}/health/ready`)).status).toBe(503);
    expect(svc.output()).toContain('SIGTERM: readiness is now unready; draining for 8000 ms');
  }, 30_000);
});
