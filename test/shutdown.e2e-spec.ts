import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { TEST_STACKONE_KEY } from './support/config';
import { TEST_JWT_SECRET } from './support/jwt';
import { freePort, launch, Launched, ServiceProcess, startServiceProcess } from './support/processes';

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

  it('still drains on SIGTERM: unready with a plain reason, alive through the grace, and no error line per probe', async () => {
    svc = await start();
    svc.child.kill('SIGTERM');
    expect(await exitsWithin(svc, 1_500)).toBe(false);
    for (let probe = 0; probe < 3; probe++) {
      const ready = await fetch(`${svc.url}/health/ready`);
      expect([ready.status, ready.headers.get('content-type')]).toEqual([503, expect.stringContaining('application/problem+json')]);
      expect(await ready.json()).toMatchObject({ status: 503, detail: 'draining: shutting down', instance: '/health/ready' });
    }
    expect(svc.output()).toContain('SIGTERM: readiness is now unready; draining for 8000 ms');
    // A deploy must not trip error-log alerts: the probes during the drain are no error lines.
    const lines = svc.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: string });
    expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  }, 30_000);
});

/** Whether something accepts TCP connections on 127.0.0.1:port. */
const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** The PIDs of a process's children (Linux /proc). */
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .split(' ')
    .map(Number)
    .filter((n) => n > 0);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `npm run start:prod` as a supervisor (systemd, a PaaS, a process manager) runs it: the signal
 * goes to npm's PID, or to npm's whole process group. Either way node must drain and exit, not be
 * orphaned and keep serving.
 */
describe('stopping `npm run start:prod`', () => {
  let sandbox: Sandbox;
  let npm: Launched | undefined;
  let nodePid: number | undefined;
  const GRACE_MS = 1_500;

  const startNpm = async (detached: boolean): Promise<{ npm: Launched; port: number }> => {
    const port = await freePort();
    const env = {
      HOME: process.env.HOME ?? '/tmp',
      HOST: '127.0.0.1',
      PORT: String(port),
      STACKONE_API_KEY: TEST_STACKONE_KEY,
      STACKONE_BASE_URL: sandbox.url,
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
    };
    const launched = await launch('npm', ['run', '--silent', 'start:prod'], { env, detached, readyUrl: `http://127.0.0.1:${port}/health/ready`, timeoutMs: 20_000 });
    return { npm: launched, port };
  };

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
  });
  afterEach(async () => {
    if (nodePid !== undefined && alive(nodePid)) process.kill(nodePid, 'SIGKILL');
    if (npm) await npm.stop();
    nodePid = undefined;
    npm = undefined;
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it.each([
    ['the npm process', false],
    ["npm's process group (npm and node both get it)", true],
  ])('SIGTERM to %s: node drains (503 with the reason), then exits and the port closes', async (_target, group) => {
    const started = await startNpm(group);
    npm = started.npm;
    const pid = npm.child.pid as number;
    // npm runs the script through sh; with `exec` node replaces sh as npm's child.
    const descendants = childrenOf(pid).flatMap((c) => [c, ...childrenOf(c)]);
    expect(descendants.length).toBeGreaterThan(0);
    nodePid = descendants[descendants.length - 1];

    process.kill(group ? -pid : pid, 'SIGTERM');
    // npm hands the signal on asynchronously: poll until node has it (or the grace is over).
    let during = await fetch(`http://127.0.0.1:${started.port}/health/ready`);
    for (let i = 0; i < 20 && during.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      during = await fetch(`http://127.0.0.1:${started.port}/health/ready`);
    }
    expect(during.status).toBe(503);
    expect(await during.json()).toMatchObject({ detail: 'draining: shutting down' });

    // Bounded: the grace plus a generous margin for closing.
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([npm.closed.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), GRACE_MS + 8_000)))]);
    clearTimeout(timer);
    expect(exited).toBe(true);
    for (const p of descendants) expect(alive(p)).toBe(false);
    expect(await portOpen(started.port)).toBe(false);
    expect(npm.output()).toContain(`SIGTERM: readiness is now unready; draining for ${GRACE_MS} ms`);
    expect(npm.child.exitCode).toBe(0);
  }, 40_000);
});
