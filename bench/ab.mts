// Interleaved A/B of two builds of the service: `npm run bench:ab -- DIST_A DIST_B [ROUNDS]`.
// Both run at once against one upstream stand-in and take the same load in alternating rounds
// (A B, B A, ...), so a drift in this machine's speed hits both alike. Reports, per build, the
// medians of req/s, p99 and CPU microseconds per request (user + system time from /proc over the
// round, divided by the requests served): the steadiest figure on a shared VM, where req/s
// alone moves ±20% between runs. Make DIST_A with `npm run build && cp -r dist .ab/a` before a change
// (inside the repository, so the build resolves node_modules; .ab/ is git-ignored).
//   AB_BODY, AB_PATH, AB_METHOD   the request (default: the bench's connect-session body)
//   AB_NODE_ARGS, AB_NODE_ARGS_B  node flags (default: start:prod's; B defaults to A's)
//   AB_ENV                        extra environment for both, as JSON (e.g. '{"STACKONE_WEBHOOK_SECRET":"x"}': the mirror's case)
//   AB_ENV_B                      extra environment for B, as JSON (e.g. '{"LOG_LEVEL":"warn"}')
//   AB_DURATION_S, AB_WARMUP_S, AB_CONNECTIONS
import autocannon from 'autocannon';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { benchToken, cpuMicros, here, KEY, median, peakRssMb, productionNodeFlags, run, startScript, startService } from './harness.mts';

const [distA, distB, roundsArg = '6'] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const DURATION = Number(process.env.AB_DURATION_S ?? 5);
const WARMUP = Number(process.env.AB_WARMUP_S ?? 3);
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 32);
const flags = (value: string | undefined, fallback: string[]): string[] => (value === undefined ? fallback : value.split(' ').filter(Boolean));

interface Round {
  rps: number;
  p99: number;
  cpuUsPerRequest: number;
}

async function main(): Promise<void> {
  if (!distA || !distB) throw new Error('usage: npm run bench:ab -- DIST_A DIST_B [ROUNDS]');
  for (const d of [distA, distB]) if (!existsSync(join(d, 'main.js'))) throw new Error(`${d}/main.js is missing`);
  const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const argsA = flags(process.env.AB_NODE_ARGS, productionNodeFlags());
  const both = JSON.parse(process.env.AB_ENV ?? '{}') as Record<string, string>;
  const builds = {
    A: { dist: resolve(distA), nodeArgs: argsA, env: both },
    B: { dist: resolve(distB), nodeArgs: flags(process.env.AB_NODE_ARGS_B, argsA), env: { ...both, ...(JSON.parse(process.env.AB_ENV_B ?? '{}') as Record<string, string>) } },
  };
  const [serviceA, serviceB] = await Promise.all([startService({ ...builds.A, upstreamUrl }), startService({ ...builds.B, upstreamUrl })]);
  const services = { A: serviceA, B: serviceB };
  const pids = { A: serviceA.child.pid, B: serviceB.child.pid };

  const token = await benchToken();
  const method = (process.env.AB_METHOD ?? 'POST') as 'POST' | 'GET';
  const body = method === 'POST' ? (process.env.AB_BODY ?? JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' })) : undefined;
  const path = process.env.AB_PATH ?? '/v1/connect-sessions';
  async function round(name: 'A' | 'B', duration: number): Promise<Round> {
    const before = cpuMicros(pids[name]);
    const r = await autocannon({ url: `${services[name].url}${path}`, method, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body, connections: CONNECTIONS, duration });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors`);
    return { rps: r.requests.average, p99: r.latency.p99, cpuUsPerRequest: (cpuMicros(pids[name]) - before) / r.requests.total };
  }
  await round('A', WARMUP);
  await round('B', WARMUP);
  const rounds: Record<'A' | 'B', Round[]> = { A: [], B: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) rounds[name].push(await round(name, DURATION));
  }
  const med = (name: 'A' | 'B', key: keyof Round): number => median(rounds[name].map((r) => r[key]));
  for (const name of ['A', 'B'] as const) {
    console.log(
      `${name} ${builds[name].dist}: ${Math.round(med(name, 'rps'))} req/s, p99 ${med(name, 'p99')} ms, ${med(name, 'cpuUsPerRequest').toFixed(1)} us CPU/request ` +
        `(rounds: ${rounds[name].map((r) => r.cpuUsPerRequest.toFixed(0)).join(', ')}), peak RSS ${Math.round(peakRssMb(pids[name]))} MB`,
    );
  }
  console.log(`B/A: req/s ${(med('B', 'rps') / med('A', 'rps')).toFixed(3)}, CPU per request ${(med('B', 'cpuUsPerRequest') / med('A', 'cpuUsPerRequest')).toFixed(3)}`);
}

run(main);
