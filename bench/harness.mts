// What `npm run bench` (run.mts) and the A/B comparison (ab.mts) share: the service started as
// production starts it, the bench JWT, and /proc readings. Processes and tokens come from the test
// toolkit (test/support), the same launcher and signer the specs use.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signHs256 } from '../test/support/jwt.ts';
import { launchNode, startServiceProcess } from '../test/support/processes.ts';
import type { Launched, ServiceProcess } from '../test/support/processes.ts';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
export const KEY = 'bench-key';
const SECRET = 'bench-jwt-secret-0123456789-abcdefghijkl';
/** Node loads the toolkit's .ts files as ES modules by syntax detection; its warning about that is noise here. */
export const QUIET_TS = '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON';
const started: Launched[] = [];

/** Stops every process this one started (by its own handle; nothing else is touched). */
function stopChildren(): void {
  for (const p of started) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
}

/** Runs a bench script's main: its children stop when it ends, fails or is interrupted. */
export function run(main: () => Promise<void>): void {
  process.on('SIGINT', () => {
    stopChildren();
    process.exit(130);
  });
  main()
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    })
    .finally(stopChildren);
}

/** Starts a bench script (upstream, baseline, floor) that prints `LISTENING <port>`. */
export async function startScript(args: string[], env: Record<string, string>): Promise<{ child: Launched['child']; port: number }> {
  const script = await launchNode([QUIET_TS, ...args], { cwd: root, env, stderr: 'inherit', readyOutput: /LISTENING (\d+)/ });
  started.push(script);
  return { child: script.child, port: Number(script.match?.[1]) };
}

/** `npm run start:prod`'s node flags, so the service is measured as it runs in production. */
export function productionNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return scripts['start:prod'].split(' ').filter((a) => a.startsWith('--'));
}

export interface ServiceOptions {
  /** The compiled service (a `dist` folder); its `main.js` is started. */
  dist: string;
  upstreamUrl: string;
  nodeArgs: string[];
  env?: Record<string, string>;
}

/**
 * The service with logs and metrics on and limits high enough not to refuse the load (they still
 * run), on a free port; resolves when /health/ready answers (`readyMs` after the spawn).
 */
export async function startService({ dist, upstreamUrl, nodeArgs, env = {} }: ServiceOptions): Promise<ServiceProcess> {
  const service = await startServiceProcess(
    {
      LOG_LEVEL: 'info',
      STACKONE_BASE_URL: upstreamUrl,
      STACKONE_API_KEY: KEY,
      AUTH_JWT_SECRET: SECRET,
      RATE_LIMIT_PER_TENANT: '100000000',
      STACKONE_RATE_LIMIT_PER_MINUTE: '100000000',
      ...env,
    },
    { main: join(dist, 'main.js'), nodeArgs, cwd: root, stdout: 'ignore', stderr: 'inherit', pollMs: 10 },
  );
  started.push(service);
  return service;
}

/** A JWT the bench services accept: tenant org_bench. */
export function benchToken(): Promise<string> {
  return signHs256({ org_id: 'org_bench', org_name: 'Bench Inc', email: 'jane@acme.example' }, SECRET, { expiresIn: '1h' });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** CPU time (user + system) a process has used so far, in microseconds, from /proc (100 Hz ticks). */
export function cpuMicros(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
