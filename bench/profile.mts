// CPU profile of the service under the bench's load: `node bench/profile.mts [DIST] [SECONDS]`.
// Starts the stand-in and the service (webhooks configured, so the account mirror answers the
// preview: the measured case) with --cpu-prof, loads it, stops it, and prints the summary.
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { benchToken, here, KEY, productionNodeFlags, root, run, startScript, startService } from './harness.mts';

run(async () => {
  const dist = resolve(process.argv[2] ?? join(root, 'dist'));
  const seconds = Number(process.argv[3] ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'prof-'));
  const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
  const service = await startService({
    dist,
    upstreamUrl: `http://127.0.0.1:${upstream.port}`,
    nodeArgs: [...productionNodeFlags(), '--cpu-prof', `--cpu-prof-dir=${dir}`],
    env: { STACKONE_WEBHOOK_SECRET: 'bench-webhook-secret', ...(JSON.parse(process.env.PROF_ENV ?? '{}') as Record<string, string>) },
  });
  const token = await benchToken();
  const opts = {
    url: `${service.url}/v1/connect-sessions`,
    method: 'POST' as const,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' }),
    connections: 32,
  };
  await autocannon({ ...opts, duration: 3 });
  const r = await autocannon({ ...opts, duration: seconds });
  console.log(`req/s ${Math.round(r.requests.average)} p99 ${r.latency.p99} non2xx ${r.non2xx}`);
  await new Promise<void>((done) => {
    service.child.once('exit', () => done());
    service.child.kill('SIGTERM');
  });
  const file = join(dir, readdirSync(dir)[0]);
  console.log(file);
  console.log(execFileSync(process.execPath, [join(here, 'profile-summary.mts'), file, process.env.PROF_TOP ?? '40'], { encoding: 'utf8' }));
});
