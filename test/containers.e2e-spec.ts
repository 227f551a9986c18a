import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { ENV_KEYS, loadConfig } from '../src/app.config';

/**
 * No Docker engine runs here, so the container files are kept honest by parsing them: the compose
 * file must start two replicas, Redis and the sandbox, with settings the app's own schema accepts.
 */
const root = join(__dirname, '..');
type Service = {
  build?: string | { context: string; dockerfile?: string };
  image?: string;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  mem_limit?: string;
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const sandboxDockerfile = readFileSync(join(root, 'sandbox', 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

/** Compose's `${NAME:?message}`: the value must come from the shell, as `docker compose` would require. */
const REQUIRED = /^\$\{(\w+):\?[^}]*\}$/;
/** Compose's `${NAME:-default}`: the shell's value when set and not empty, else the default. */
const OPTIONAL = /^\$\{(\w+):-([^}]*)\}$/;
const fromShell = (env: Record<string, string>, shell: Record<string, string>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(env).map(([k, v]) => [k, v.replace(REQUIRED, (_m, name: string) => shell[name] ?? '').replace(OPTIONAL, (_m, name: string, fallback: string) => shell[name] || fallback)]),
  );

const replicas = Object.entries(compose.services).filter(([, s]) => s.command === undefined && s.build !== undefined);

describe('docker-compose.yml', () => {
  it('runs two service replicas, Redis and the sandbox', () => {
    expect(replicas.map(([name]) => name).sort()).toEqual(['connect-service-a', 'connect-service-b']);
    expect(compose.services.redis.image).toMatch(/^redis:/);
    expect(compose.services.sandbox.command).toEqual(['node', 'dist-sandbox/sandbox/main.js']);
  });

  it('builds the sandbox from its own Dockerfile into its own image, and runs what npm run start:sandbox runs', () => {
    const sandbox = compose.services.sandbox;
    expect(sandbox.build).toEqual({ context: '.', dockerfile: 'sandbox/Dockerfile' });
    for (const [, s] of replicas) expect(s.image).not.toBe(sandbox.image);
    expect(pkg.scripts['start:sandbox']).toMatch(new RegExp(`&& ${(sandbox.command ?? []).join(' ')}$`));
    expect(JSON.parse(/\nCMD (\[.*\])/.exec(sandboxDockerfile)?.[1] ?? '[]')).toEqual(sandbox.command);
  });

  it('gives each replica a memory limit, which Node sizes its heap from', () => {
    for (const [, s] of replicas) expect(s.mem_limit).toMatch(/^\d+m$/);
  });

  it('publishes each replica on its own host port, all to container port 3000', () => {
    const ports = replicas.flatMap(([, s]) => s.ports ?? []);
    expect(ports).toHaveLength(2);
    expect(new Set(ports.map((p) => p.split(':')[0])).size).toBe(2);
    for (const p of ports) expect(p.split(':')[1]).toBe('3000');
  });

  it.each(['connect-service-a', 'connect-service-b'])('%s has an environment the config schema accepts', (name) => {
    const env = compose.services[name].environment ?? {};
    for (const key of Object.keys(env)) expect(ENV_KEYS).toContain(key);
    const config = loadConfig(fromShell(env, { AUTH_JWT_SECRET: randomBytes(32).toString('base64'), STACKONE_WEBHOOK_SECRET: randomBytes(32).toString('base64') }));
    expect(config.redis.url).toBe('redis://redis:6379');
    expect(config.stackone.baseUrl).toBe('http://sandbox:4010');
    expect(config.app.port).toBe(3000);
    expect(env.STACKONE_API_KEY).toBe(compose.services.sandbox.environment?.SANDBOX_API_KEY);
    expect(config.eventRelay.subscribers).toEqual([]);
  });

  it('takes EVENT_SUBSCRIBERS (and the plain-http allowance between containers) from the shell, off by default', () => {
    const secrets = { AUTH_JWT_SECRET: randomBytes(32).toString('base64'), STACKONE_WEBHOOK_SECRET: randomBytes(32).toString('base64') };
    const subscriber = { name: 'sync', url: 'http://sync:8080/events', secret: `whsec_${randomBytes(32).toString('base64')}` };
    for (const [, s] of replicas) {
      const env = s.environment ?? {};
      expect(OPTIONAL.exec(env.EVENT_SUBSCRIBERS ?? '')?.[1]).toBe('EVENT_SUBSCRIBERS');
      const config = loadConfig(fromShell(env, { ...secrets, EVENT_SUBSCRIBERS: JSON.stringify([subscriber]), EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP: 'true' }));
      expect(config.eventRelay.subscribers.map((x) => [x.name, x.url])).toEqual([['sync', subscriber.url]]);
      // Without the allowance, plain http to another container is refused at start-up.
      expect(() => loadConfig(fromShell(env, { ...secrets, EVENT_SUBSCRIBERS: JSON.stringify([subscriber]) }))).toThrow(/EVENT_SUBSCRIBERS/);
    }
  });

  it("wires the sandbox's account webhooks to a replica, signed with the secret the replicas verify (from the shell)", () => {
    const sandbox = compose.services.sandbox.environment ?? {};
    expect(sandbox.SANDBOX_WEBHOOK_URL).toMatch(new RegExp(`^http://(${replicas.map(([name]) => name).join('|')}):3000/webhooks/stackone$`));
    expect(REQUIRED.exec(sandbox.SANDBOX_WEBHOOK_SECRET ?? '')?.[1]).toBe('STACKONE_WEBHOOK_SECRET');
    for (const [, s] of replicas) expect(REQUIRED.exec(s.environment?.STACKONE_WEBHOOK_SECRET ?? '')?.[1]).toBe('STACKONE_WEBHOOK_SECRET');
  });

  it('publishes no JWT secret: the replicas require AUTH_JWT_SECRET from the shell', () => {
    for (const [, s] of replicas) expect(REQUIRED.exec(s.environment?.AUTH_JWT_SECRET ?? '')?.[1]).toBe('AUTH_JWT_SECRET');
  });

  it('gives every long-running service a healthcheck and waits for Redis and the sandbox', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect({ name, test: s.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
      expect(s.healthcheck?.test.length).toBeGreaterThan(1);
    }
    for (const [, s] of replicas) {
      expect(s.depends_on).toEqual({ redis: { condition: 'service_healthy' }, sandbox: { condition: 'service_healthy' } });
      expect(s.healthcheck?.test.join(' ')).toContain('/health/ready');
    }
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split('\n').filter((l) => /^FROM /.test(l));

  it('is multi-stage on Node 24', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s).toMatch(/^FROM node:24[-.]/);
  });

  it('ships only production dependencies, runs as non-root, has a HEALTHCHECK on readiness', () => {
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    // Numeric, so a pod with runAsNonRoot can check it (a name like `node` makes the kubelet refuse to start it).
    expect(runtime).toMatch(/\nUSER 1000:1000\n/);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*\/health\/ready/);
    // The same command as `npm run start:prod`, node flags included; node is PID 1's command itself
    // (no shell or npm between), and the script execs it so npm's SIGTERM reaches node too.
    const cmd = JSON.parse(/\nCMD (\[.*\])/.exec(runtime)?.[1] ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    expect(`exec ${cmd.join(' ')}`).toBe(pkg.scripts['start:prod']);
  });

  it("runs as the numeric user and group the Kubernetes Deployment declares (deploy/k8s)", () => {
    const user = /\nUSER (\d+):(\d+)\n/.exec(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')));
    const deployment = parse(readFileSync(join(root, 'deploy', 'k8s', 'base', 'deployment.yaml'), 'utf8')) as {
      spec: { template: { spec: { securityContext: { runAsUser: number; runAsGroup: number }; containers: { securityContext: { runAsUser: number; runAsGroup: number } }[] } } };
    };
    const pod = deployment.spec.template.spec;
    const expected = { runAsUser: Number(user?.[1]), runAsGroup: Number(user?.[2]) };
    expect(expected.runAsUser).toBeGreaterThan(0);
    expect(pod.securityContext).toMatchObject(expected);
    for (const c of pod.containers) expect(c.securityContext).toMatchObject(expected);
  });

  it("leaves out the demo's @stackone/hub: it and everything only it pulls in (React, …) are dev-only, so npm prune --omit=dev drops them", () => {
    expect(pkg.devDependencies['@stackone/hub']).toBeDefined();
    expect(pkg.dependencies['@stackone/hub']).toBeUndefined();
    for (const name of ['@stackone/hub', 'react', 'react-dom', '@stackone/malachite']) {
      expect({ name, dev: lock.packages[`node_modules/${name}`]?.dev }).toEqual({ name, dev: true });
    }
  });

  it('carries the service only: it copies and builds no sandbox or demo file', () => {
    const sources = dockerfile
      .split('\n')
      .filter((l) => /^COPY /.test(l) && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1).filter((t) => !t.startsWith('--')));
    expect(sources).toContain('src');
    const copied = sources.flatMap((s) => filesUnder(join(root, s)));
    expect(copied.filter(isSandboxOrDemo)).toEqual([]);
    // What `npm run build` (the image's build step) compiles, and what it produced for this run.
    expect(dockerfile).toMatch(/\nRUN npm run build /);
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect((JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include).toEqual(['src/**/*.ts']);
    expect(existsSync(join(root, 'dist', 'main.js'))).toBe(true);
    expect(filesUnder(join(root, 'dist')).filter(isSandboxOrDemo)).toEqual([]);
  });
});

/** Every file under `path` (or `path` itself), relative to the repository. */
function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [relative(root, path)];
  return readdirSync(path, { recursive: true, encoding: 'utf8' })
    .map((f) => join(path, f))
    .filter((f) => !statSync(f).isDirectory())
    .map((f) => relative(root, f));
}

function isSandboxOrDemo(file: string): boolean {
  return /(^|\/)(sandbox|demo)(\/|\.|$)/.test(file) || /createSandbox/.test(readFileSync(join(root, file), 'utf8'));
}
