// CPU per connect session of two builds, without sockets or a load generator:
// `node bench/inprocess.mts DIST_A DIST_B [ROUNDS]`. Each build runs in its own child process
// (start:prod's node flags, webhooks configured so the account mirror answers the preview: the
// seed's one StackOne call) and makes its sessions through Fastify's inject, in alternating rounds
// (A B, B A, ...) while the other child idles; each reports its own CPU per session. Prints the
// medians and the median of the rounds' B/A ratios, which a drift in this shared VM's speed
// cancels out of. Less noisy than bench:ab for a change of a few percent; it leaves out what only
// sockets cost (the same for both builds). INPROCESS_SESSIONS per round (default 5000);
// INPROCESS_NODE_ARGS_B: B's node flags instead of start:prod's (e.g. another --max-semi-space-size);
// INPROCESS_ENV_B: extra environment for B, as JSON (e.g. '{"LOG_LEVEL":"warn"}').
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { benchToken, here, KEY, median, productionNodeFlags, QUIET_TS, run, startScript } from './harness.mts';

const SECRET = 'bench-jwt-secret-0123456789-abcdefghijkl';

run(async () => {
  const [distA, distB, roundsArg = '7'] = process.argv.slice(2);
  if (!distA || !distB) throw new Error('usage: node bench/inprocess.mts DIST_A DIST_B [ROUNDS]');
  const sessions = Number(process.env.INPROCESS_SESSIONS ?? 5000);
  const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
  const env = {
    PATH: process.env.PATH ?? '',
    STACKONE_BASE_URL: `http://127.0.0.1:${upstream.port}`,
    STACKONE_API_KEY: KEY,
    AUTH_JWT_SECRET: SECRET,
    STACKONE_WEBHOOK_SECRET: 'bench-webhook-secret',
    RATE_LIMIT_PER_TENANT: '100000000',
    STACKONE_RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'info',
    TOKEN: await benchToken(),
    BODY: JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' }),
    CONCURRENCY: '16',
  };
  const children: ChildProcess[] = [];
  const prodFlags = productionNodeFlags().filter((f) => !f.startsWith('--require'));
  const start = (dist: string, nodeArgs = prodFlags, extraEnv: Record<string, string> = {}): Promise<ChildProcess> =>
    new Promise((ready, fail) => {
      const child = fork(join(here, 'inprocess-driver.mts'), [], { env: { ...env, ...extraEnv, DIST: resolve(dist) }, execArgv: [QUIET_TS, ...nodeArgs], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      children.push(child);
      child.once('message', () => ready(child));
      child.once('exit', (code) => fail(new Error(`${dist}: exited with ${code}`)));
    });
  try {
    const builds = { A: await start(distA), B: await start(distB, process.env.INPROCESS_NODE_ARGS_B?.split(' ').filter(Boolean), JSON.parse(process.env.INPROCESS_ENV_B ?? '{}') as Record<string, string>) };
    const round = (name: 'A' | 'B', n: number): Promise<number> =>
      new Promise((done, fail) => {
        builds[name].once('message', (m: { cpuUsPerSession?: number; error?: string }) => (m.error ? fail(new Error(`${name}: ${m.error}`)) : done(m.cpuUsPerSession as number)));
        builds[name].send({ n });
      });
    await round('A', 1000);
    await round('B', 1000);
    const figures: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let i = 0; i < Number(roundsArg); i++) {
      for (const name of i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) figures[name].push(await round(name, sessions));
    }
    for (const name of ['A', 'B'] as const) {
      console.log(`${name} ${name === 'A' ? distA : distB}: ${median(figures[name]).toFixed(1)} us CPU/session (rounds: ${figures[name].map((x) => x.toFixed(0)).join(', ')})`);
    }
    const ratios = figures.B.map((b, i) => b / figures.A[i]);
    console.log(`B/A CPU per session: median of the rounds' ratios ${median(ratios).toFixed(3)} (${ratios.map((r) => r.toFixed(2)).join(', ')}); of the medians ${(median(figures.B) / median(figures.A)).toFixed(3)}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
});
