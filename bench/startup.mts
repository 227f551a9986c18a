// Start-up and idle memory, service against the seed's Express handler: each started alone, in
// alternating rounds (seed, service, seed, ...), so a drift in the machine's speed hits both alike.
//   start to ready: spawn → the service's GET /health/ready answering 200; for the seed (no health
//                   route) spawn → its first successful POST /stackone_connect_sessions. Both polled every 10 ms.
//   idle RSS:       VmRSS from /proc after ready and a 2 s settle, no load.
// The service runs with every feature on (JWT auth, validation, tenant limits, idempotency, logs,
// metrics, API docs, the account mirror) and start:prod's node flags.
// `npm run bench:startup` (or `BENCH_ONLY=startup npm run bench`) measures only this;
// `node bench/startup.mts DIST_A DIST_B [ROUNDS]` compares two builds the same way (no seed;
// AB_NODE_ARGS, AB_NODE_ARGS_B and AB_ENV_B as for bench/ab.mts).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, launchNode } from '../test/support/processes.ts';
import type { Launched } from '../test/support/processes.ts';
import { cpuMicros, here, KEY, median, productionNodeFlags, QUIET_TS, root, run, startScript, startService } from './harness.mts';

const SETTLE_MS = Number(process.env.BENCH_STARTUP_SETTLE_MS ?? 2000);
export const STARTUP_TARGETS = { idleRssMb: 130, readyMs: 1000 };

export interface StartupFigures {
  /** Medians over the rounds. */
  readyMs: number;
  /** CPU time (user + system) the process used until ready: steadier than readyMs on a shared machine. */
  cpuToReadyMs: number;
  idleRssMb: number;
  rounds: Round[];
}

interface Round {
  readyMs: number;
  cpuToReadyMs: number;
  idleRssMb: number;
}

export function rssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** The seed's handler, ready at its first successful request (it has no health route). */
async function startSeed(upstreamUrl: string): Promise<{ readyMs: number; launched: Launched }> {
  const port = await freePort();
  const started = performance.now();
  const launched = await launchNode([QUIET_TS, join(here, 'baseline.mts')], { cwd: root, env: { PORT: String(port), UPSTREAM_URL: upstreamUrl, UPSTREAM_API_KEY: KEY }, stdout: 'ignore', stderr: 'inherit' });
  const deadline = started + 15_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/stackone_connect_sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"originUsername":"jane@acme.example","provider":"hibob"}' });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (launched.child.exitCode !== null || performance.now() > deadline) {
      await launched.stop();
      throw new Error('the seed handler did not answer');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { readyMs: performance.now() - started, launched };
}

/** Every feature the service has, on (the account mirror needs the webhook secret). */
const ALL_FEATURES = { STACKONE_WEBHOOK_SECRET: 'bench-webhook-secret', API_DOCS_ENABLED: 'true' };

async function once(start: () => Promise<{ readyMs: number; launched: Launched }>): Promise<Round> {
  const { readyMs, launched } = await start();
  const cpuToReadyMs = cpuMicros(launched.child.pid) / 1000;
  await new Promise((r) => setTimeout(r, SETTLE_MS));
  const idleRssMb = rssMb(launched.child.pid);
  await launched.stop();
  return { readyMs: Math.round(readyMs), cpuToReadyMs: Math.round(cpuToReadyMs), idleRssMb: Math.round(idleRssMb) };
}

function summarise(rounds: Round[]): StartupFigures {
  return { readyMs: median(rounds.map((r) => r.readyMs)), cpuToReadyMs: median(rounds.map((r) => r.cpuToReadyMs)), idleRssMb: median(rounds.map((r) => r.idleRssMb)), rounds };
}

/** Alternating starts of each candidate (one process at a time); medians per candidate. */
export async function measureStarts(candidates: Record<string, () => Promise<{ readyMs: number; launched: Launched }>>, rounds: number): Promise<Record<string, StartupFigures>> {
  const results = Object.fromEntries(Object.keys(candidates).map((k) => [k, [] as Round[]]));
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? Object.keys(candidates) : Object.keys(candidates).reverse();
    for (const name of order) results[name].push(await once(candidates[name]));
  }
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, summarise(v)]));
}

const serviceStarter = (dist: string, upstreamUrl: string, nodeArgs: string[], env: Record<string, string> = {}) => async (): Promise<{ readyMs: number; launched: Launched }> => {
  const s = await startService({ dist, upstreamUrl, nodeArgs, env: { ...ALL_FEATURES, ...env } });
  return { readyMs: s.readyMs, launched: s };
};

/** The seed against the service (the `dist` build), `rounds` alternating starts each. */
export async function measureStartup(upstreamUrl: string, rounds: number): Promise<{ seed: StartupFigures; service: StartupFigures }> {
  const r = await measureStarts({ seed: () => startSeed(upstreamUrl), service: serviceStarter(join(root, 'dist'), upstreamUrl, productionNodeFlags()) }, rounds);
  return { seed: r.seed, service: r.service };
}

if (import.meta.main) {
  run(async () => {
    const [distA, distB, roundsArg = '6'] = process.argv.slice(2);
    if (!distA || !distB) throw new Error('usage: node bench/startup.mts DIST_A DIST_B [ROUNDS] (npm run bench:startup measures dist against the seed)');
    const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
    const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
    const flags = (v: string | undefined, fallback: string[]): string[] => (v === undefined ? fallback : v.split(' ').filter(Boolean));
    const argsA = flags(process.env.AB_NODE_ARGS, productionNodeFlags());
    const r = await measureStarts({ A: serviceStarter(resolve(distA), upstreamUrl, argsA), B: serviceStarter(resolve(distB), upstreamUrl, flags(process.env.AB_NODE_ARGS_B, argsA), JSON.parse(process.env.AB_ENV_B ?? '{}') as Record<string, string>) }, Number(roundsArg));
    for (const [name, f] of Object.entries(r)) console.log(`${name} ${name === 'A' ? distA : distB}: ready ${f.readyMs} ms, CPU to ready ${f.cpuToReadyMs} ms, idle RSS ${f.idleRssMb} MB (ready: ${f.rounds.map((x) => x.readyMs).join(', ')}; CPU: ${f.rounds.map((x) => x.cpuToReadyMs).join(', ')}; RSS: ${f.rounds.map((x) => x.idleRssMb).join(', ')})`);
    console.log(`B/A: ready ${(r.B.readyMs / r.A.readyMs).toFixed(2)}, CPU to ready ${(r.B.cpuToReadyMs / r.A.cpuToReadyMs).toFixed(2)}, idle RSS ${(r.B.idleRssMb / r.A.idleRssMb).toFixed(2)}`);
  });
}
