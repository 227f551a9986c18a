// `npm run bench`: ceiling (upstream direct) vs the seed's Express handler vs the bare two-call floor vs this
// service, side by side in one run with autocannon, loopback only, bounded. Writes bench/results/latest.json.
import autocannon from 'autocannon';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { basicAuth } from '../test/support/stackone-stand-in.ts';
import { benchToken, cpuMicros, here, KEY, median, peakRssMb, productionNodeFlags, root, run, startScript, startService } from './harness.mts';
import { measureStartup, STARTUP_TARGETS } from './startup.mts';

const DURATION = Number(process.env.BENCH_DURATION_S ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARMUP = Number(process.env.BENCH_WARMUP_S ?? 3);
const STARTUP_ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 5);
/** BENCH_ONLY=startup: start-up and idle RSS only (seconds, not minutes); the other figures in the output file stay. */
const ONLY_STARTUP = process.env.BENCH_ONLY === 'startup';
// BENCH_OUT: somewhere else than the committed figures (the smoke test uses it).
const OUT = process.env.BENCH_OUT ?? join(here, 'results', 'latest.json');

async function load(url: string, headers: Record<string, string>, body: string, duration: number, pid?: number): Promise<{ rps: number; p50: number; p99: number; errors: number; non2xx: number; cpuUs: number }> {
  const cpuBefore = pid === undefined ? 0 : cpuMicros(pid);
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, connections: CONNECTIONS, duration });
  // CPU per request of the target's process (user + system, from /proc): steadier than req/s on a shared VM.
  const cpuUs = pid === undefined || r.requests.total === 0 ? 0 : (cpuMicros(pid) - cpuBefore) / r.requests.total;
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, cpuUs };
}

const PROBE_SESSIONS = 20;

/** StackOne calls per session, counted exactly at the stand-in over a few sessions made one at a time (after the load: steady state). */
async function stackOneCallsPerSession(upstreamUrl: string, target: { url: string; headers: Record<string, string>; body: string }): Promise<number> {
  const calls = async (): Promise<number> => Object.values((await (await fetch(`${upstreamUrl}/__stand-in/calls`)).json()) as Record<string, number>).reduce((a, b) => a + b, 0);
  // Requests the load left in flight still reach the stand-in for a moment: start counting once it is quiet.
  let before = await calls();
  for (let last = -1; before !== last; before = await calls()) {
    last = before;
    await new Promise((r) => setTimeout(r, 250));
  }
  for (let i = 0; i < PROBE_SESSIONS; i++) {
    const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json', ...target.headers }, body: target.body });
    if (res.status !== 201) throw new Error(`probe session answered ${res.status}`);
    await res.arrayBuffer();
  }
  return ((await calls()) - before) / PROBE_SESSIONS;
}

async function main(): Promise<void> {
  if (!existsSync(join(root, 'dist', 'main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first (npm run bench does).');
  const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  // First, while nothing else runs: start-up and idle memory, the seed's handler against the service.
  const startup = await measureStartup(upstreamUrl, STARTUP_ROUNDS);
  const startupChecks = { idleRssWithin130Mb: startup.service.idleRssMb <= STARTUP_TARGETS.idleRssMb, readyWithin1000Ms: startup.service.readyMs <= STARTUP_TARGETS.readyMs };
  const startupResult = { targets: STARTUP_TARGETS, settleMs: Number(process.env.BENCH_STARTUP_SETTLE_MS ?? 2000), ...startup };
  const printStartup = (): void => {
    console.log('\nstart-up (median of alternating starts)   ready ms  CPU to ready ms  idle RSS MB');
    for (const n of ['seed', 'service'] as const) console.log(`${n.padEnd(40)} ${String(startup[n].readyMs).padStart(9)} ${String(startup[n].cpuToReadyMs).padStart(16)} ${String(startup[n].idleRssMb).padStart(12)}`);
    console.log(`service/seed: ready ${(startup.service.readyMs / startup.seed.readyMs).toFixed(2)}x, idle RSS ${(startup.service.idleRssMb / startup.seed.idleRssMb).toFixed(2)}x`);
    for (const [k, v] of Object.entries(startupChecks)) console.log(`${v ? 'MET' : 'NOT MET'} ${k}`);
  };
  if (ONLY_STARTUP) {
    const previous = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { checks?: Record<string, boolean> }) : {};
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, `${JSON.stringify({ ...previous, startupDate: new Date().toISOString(), startup: startupResult, checks: { ...previous.checks, ...startupChecks } }, null, 2)}\n`);
    printStartup();
    if (process.env.BENCH_STRICT === '1' && Object.values(startupChecks).some((v) => !v)) process.exitCode = 1;
    return;
  }
  const baseline = await startScript([join(here, 'baseline.mts')], { UPSTREAM_URL: upstreamUrl, UPSTREAM_API_KEY: KEY });
  const floor = await startScript([join(here, 'floor.mts')], { UPSTREAM_URL: upstreamUrl, UPSTREAM_API_KEY: KEY });
  const stackFloor = await startScript([...productionNodeFlags().filter((f) => !f.startsWith('--require')), join(here, 'stack-floor.mts')], { UPSTREAM_URL: upstreamUrl, UPSTREAM_API_KEY: KEY });

  // The service runs as production does: `npm run start:prod`'s node flags, plus any extra ones.
  const nodeArgs = [...productionNodeFlags(), ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const service = await startService({ dist: join(root, 'dist'), upstreamUrl, nodeArgs });
  const { readyMs } = service;
  // Webhooks configured: the account mirror answers the preview (the stand-in's tenant has no accounts, a negative entry).
  const mirrored = await startService({ dist: join(root, 'dist'), upstreamUrl, nodeArgs, env: { STACKONE_WEBHOOK_SECRET: 'bench-webhook-secret' } });

  const token = await benchToken();
  const seedBody = JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' });
  const noProviderBody = JSON.stringify({ originUsername: 'jane@acme.example' });
  const targets = {
    ceiling: { url: `${upstreamUrl}/connect_sessions`, headers: { authorization: basicAuth(KEY) }, body: JSON.stringify({ origin_owner_id: 'customer-123', origin_owner_name: 'Acme Inc', origin_username: 'jane@acme.example', provider: 'hibob' }), pid: upstream.child.pid },
    baseline: { url: `http://127.0.0.1:${baseline.port}/stackone_connect_sessions`, headers: {}, body: seedBody, pid: baseline.child.pid },
    floor: { url: `http://127.0.0.1:${floor.port}/`, headers: {}, body: seedBody, pid: floor.child.pid },
    // The stack alone (NestJS + Fastify + the service's ValidationPipe and DTO + @nestjs/axios on undici), one call: the least the service can cost.
    stackFloor: { url: `http://127.0.0.1:${stackFloor.port}/v1/connect-sessions`, headers: {}, body: seedBody, pid: stackFloor.child.pid },
    service: { url: `${service.url}/v1/connect-sessions`, headers: { authorization: `Bearer ${token}` }, body: seedBody, pid: service.child.pid },
    // The same service process without a provider in the body: no accountAction look-up, so one
    // StackOne call like the baseline's. Shows what the preview costs; the targets use `service`.
    serviceNoProvider: { url: `${service.url}/v1/connect-sessions`, headers: { authorization: `Bearer ${token}` }, body: noProviderBody, pid: service.child.pid },
    // The provider session again, on a service with webhooks configured: the preview comes from the
    // account mirror, so in steady state one StackOne call per session.
    serviceMirror: { url: `${mirrored.url}/v1/connect-sessions`, headers: { authorization: `Bearer ${token}` }, body: seedBody, pid: mirrored.child.pid },
  };
  type Name = keyof typeof targets;
  const names = Object.keys(targets) as Name[];
  for (const name of names) await load(targets[name].url, targets[name].headers, targets[name].body, WARMUP);
  const rounds = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, Awaited<ReturnType<typeof load>>[]>;
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of names) rounds[name].push(await load(targets[name].url, targets[name].headers, targets[name].body, DURATION, targets[name].pid));
  }
  const summary = Object.fromEntries(
    names.map((n) => [n, { rps: Math.round(median(rounds[n].map((r) => r.rps))), p50Ms: median(rounds[n].map((r) => r.p50)), p99Ms: median(rounds[n].map((r) => r.p99)), peakRssMb: Math.round(peakRssMb(targets[n].pid)), cpuUsPerRequest: Math.round(median(rounds[n].map((r) => r.cpuUs))), errors: rounds[n].reduce((s, r) => s + r.errors, 0), non2xx: rounds[n].reduce((s, r) => s + r.non2xx, 0) }]),
  ) as Record<Name, { rps: number; p50Ms: number; p99Ms: number; peakRssMb: number; cpuUsPerRequest: number; errors: number; non2xx: number }>;
  const stackOneCalls = {
    service: await stackOneCallsPerSession(upstreamUrl, targets.service),
    serviceMirror: await stackOneCallsPerSession(upstreamUrl, targets.serviceMirror),
  };
  const ratio = (a: number, b: number): number => +(a / b).toFixed(2);
  const ratios = {
    serviceOverBaseline: ratio(summary.service.rps, summary.baseline.rps),
    serviceOverCeiling: ratio(summary.service.rps, summary.ceiling.rps),
    serviceOverFloor: ratio(summary.service.rps, summary.floor.rps),
    floorOverBaseline: ratio(summary.floor.rps, summary.baseline.rps),
    stackFloorOverBaseline: ratio(summary.stackFloor.rps, summary.baseline.rps),
    serviceMirrorOverStackFloor: ratio(summary.serviceMirror.rps, summary.stackFloor.rps),
    serviceNoProviderOverBaseline: ratio(summary.serviceNoProvider.rps, summary.baseline.rps),
    serviceMirrorOverBaseline: ratio(summary.serviceMirror.rps, summary.baseline.rps),
    serviceMirrorOverService: ratio(summary.serviceMirror.rps, summary.service.rps),
  };
  const checks = {
    // Issue 23 judges the seed's request as the seed makes it: one StackOne call (the mirror answers the preview).
    throughputAtLeast1_5xBaseline: ratios.serviceMirrorOverBaseline >= 1.5,
    p99NotWorseThanBaseline: summary.serviceMirror.p99Ms <= summary.baseline.p99Ms,
    ...startupChecks,
    mirrorOneStackOneCallPerSession: stackOneCalls.serviceMirror === 1,
    noErrors: names.every((n) => summary[n].errors === 0 && summary[n].non2xx === 0),
  };
  const result = {
    date: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, note: 'load generator, upstream and target share the same cores' },
    settings: { durationS: DURATION, rounds: ROUNDS, connections: CONNECTIONS, warmupS: WARMUP, body: seedBody, noProviderBody, serviceNodeArgs: nodeArgs },
    summary,
    ratios,
    stackOneCallsPerSession: stackOneCalls,
    serviceReadyMs: Math.round(readyMs),
    startup: startupResult,
    checks,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log('\ntarget              req/s    p50 ms  p99 ms  peak RSS MB  CPU us/req  errors');
  for (const n of names) {
    const s = summary[n];
    console.log(`${n.padEnd(18)} ${String(s.rps).padStart(7)} ${String(s.p50Ms).padStart(8)} ${String(s.p99Ms).padStart(7)} ${String(s.peakRssMb).padStart(12)} ${String(s.cpuUsPerRequest).padStart(11)} ${String(s.errors + s.non2xx).padStart(7)}`);
  }
  console.log(`\nservice/baseline ${ratios.serviceOverBaseline}x, service/ceiling ${ratios.serviceOverCeiling}x, service/floor ${ratios.serviceOverFloor}x, floor/baseline ${ratios.floorOverBaseline}x, stackFloor/baseline ${ratios.stackFloorOverBaseline}x, serviceMirror/stackFloor ${ratios.serviceMirrorOverStackFloor}x, serviceNoProvider/baseline ${ratios.serviceNoProviderOverBaseline}x, serviceMirror/baseline ${ratios.serviceMirrorOverBaseline}x, serviceMirror/service ${ratios.serviceMirrorOverService}x, service ready in ${Math.round(readyMs)} ms`);
  console.log(`StackOne calls per session: service ${stackOneCalls.service}, serviceMirror ${stackOneCalls.serviceMirror}`);
  printStartup();
  for (const [k, v] of Object.entries(checks)) console.log(`${v ? 'PASS' : 'FAIL'} ${k}`);
  if (process.env.BENCH_STRICT === '1' && Object.values(checks).some((v) => !v)) process.exitCode = 1;
}

run(main);
