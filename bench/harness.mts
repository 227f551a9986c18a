// What `npm run bench` (run.mts) and the A/B comparison (ab.mts) share: child processes, the
// service started as production starts it, the bench JWT, and /proc readings.
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..');
export const KEY = 'bench-key';
const SECRET = 'bench-jwt-secret-0123456789-abcdefghijkl';
const children: ChildProcess[] = [];

/** Stops every child this process started (by its own handle; nothing else is touched). */
function stopChildren(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
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
export function startScript(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
}

/** `npm run start:prod`'s node flags, so the service is measured as it runs in production. */
export function productionNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return scripts['start:prod'].split(' ').filter((a) => a.startsWith('--'));
}

export interface ServiceOptions {
  /** The compiled service (a `dist` folder); its `main.js` is started. */
  dist: string;
  port: number;
  upstreamUrl: string;
  nodeArgs: string[];
  env?: Record<string, string>;
}

/** The service with logs and metrics on and limits high enough not to refuse the load (they still run). */
export function startService({ dist, port, upstreamUrl, nodeArgs, env = {} }: ServiceOptions): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, join(dist, 'main.js')], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      STACKONE_BASE_URL: upstreamUrl,
      STACKONE_API_KEY: KEY,
      AUTH_JWT_SECRET: SECRET,
      RATE_LIMIT_PER_TENANT: '100000000',
      STACKONE_RATE_LIMIT_PER_MINUTE: '100000000',
      SHUTDOWN_GRACE_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

/** Milliseconds from `since` until GET /health/ready answers 200 (at most 15 s). */
export async function untilReady(port: number, since: number): Promise<number> {
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status === 200) return performance.now() - since;
    } catch {
      // not yet listening
    }
    if (performance.now() - since > 15_000) throw new Error('service not ready within 15 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A JWT the bench services accept: tenant org_bench. */
export function benchToken(): Promise<string> {
  return new SignJWT({ org_id: 'org_bench', org_name: 'Bench Inc', email: 'jane@acme.example' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

export const randomPort = (): number => 20_000 + Math.floor(Math.random() * 20_000);

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
