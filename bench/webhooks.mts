// What relaying events costs on StackOne's webhook path: `npm run bench:webhooks`.
// Two processes of the same build take signed, fresh, unique account.created webhooks in
// alternating rounds: A with StackOne webhooks on and no subscriber, B the same with one
// EVENT_SUBSCRIBERS entry (a local HTTP server answering 204). Each round ends only when B's
// subscriber has every event it acknowledged, so B's CPU per webhook includes signing and sending
// the delivery. Memory queue by default; WEBHOOK_BENCH_REDIS=1 (with REDIS_URL) runs both on Redis
// (BullMQ for B) under fresh key prefixes and deletes their keys afterwards.
// A round is a fixed number of webhooks (WEBHOOK_BENCH_COUNT, 4,000), fewer than the in-process
// queue holds (10,000): at full speed intake outruns one subscriber's deliveries, and the queue's
// bound then answers 503 (StackOne retries), which is not what this measures.
//   WEBHOOK_BENCH_COUNT, AB_CONNECTIONS, BENCH_ROUNDS
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cpuMicros, here, KEY, median, peakRssMb, productionNodeFlags, root, run, startScript, startService } from './harness.mts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const COUNT = Number(process.env.WEBHOOK_BENCH_COUNT ?? 4_000);
const CONNECTIONS = Number(process.env.AB_CONNECTIONS ?? 16);
const DRAIN_WITHIN_MS = 60_000;
const STACKONE_SECRET = `bench-webhook-${randomBytes(12).toString('hex')}`;
const SUBSCRIBER_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const useRedis = process.env.WEBHOOK_BENCH_REDIS === '1';
const redisUrl = process.env.REDIS_URL;

interface Round {
  p99: number;
  cpuUsPerWebhook: number;
}

/** The subscriber: counts distinct webhook-ids (a repeat would be a double delivery). */
async function startSubscriber(): Promise<{ url: string; ids: Set<string>; repeats: () => number; close: () => Promise<void> }> {
  const ids = new Set<string>();
  let repeats = 0;
  const server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    if (ids.has(id)) repeats++;
    ids.add(id);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/events`, ids, repeats: () => repeats, close: () => new Promise((r) => server.close(() => r())) };
}

/** A fresh signed account.created for the bench tenant; the account id makes every body unique (no duplicates). */
function signedWebhook(): { body: string; signature: string } {
  const now = new Date().toISOString();
  const body = JSON.stringify({
    event: 'account.created',
    account_id: `acc_${randomBytes(8).toString('hex')}`,
    provider: 'hibob',
    origin_owner_id: 'org_bench',
    origin_owner_name: 'Bench Inc',
    event_date: now,
    sent_at: now,
  });
  return { body, signature: createHmac('sha256', STACKONE_SECRET).update(body).digest('base64url') };
}

async function main(): Promise<void> {
  if (useRedis && !redisUrl) throw new Error('WEBHOOK_BENCH_REDIS=1 needs REDIS_URL');
  const upstream = await startScript([join(here, 'upstream.mts')], { UPSTREAM_API_KEY: KEY });
  const subscriber = await startSubscriber();
  const prefix = `bench:webhooks:${randomBytes(4).toString('hex')}:`;
  const redisEnv = (name: string): Record<string, string> => (useRedis && redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${prefix}${name}:` } : {});
  const common = { dist: join(root, 'dist'), upstreamUrl: `http://127.0.0.1:${upstream.port}`, nodeArgs: productionNodeFlags() };
  const webhooksOn = { STACKONE_WEBHOOK_SECRET: STACKONE_SECRET, LOG_LEVEL: 'warn' };
  const [serviceA, serviceB] = await Promise.all([
    startService({ ...common, env: { ...webhooksOn, ...redisEnv('a') } }),
    startService({ ...common, env: { ...webhooksOn, ...redisEnv('b'), EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'bench', url: subscriber.url, secret: SUBSCRIBER_SECRET }]) } }),
  ]);
  const services = { A: serviceA, B: serviceB };

  async function round(name: 'A' | 'B', amount: number): Promise<Round> {
    const pid = services[name].child.pid;
    const before = cpuMicros(pid);
    const deliveredBefore = subscriber.ids.size;
    const r = await autocannon({
      url: `${services[name].url}/webhooks/stackone`,
      connections: CONNECTIONS,
      amount,
      requests: [
        {
          method: 'POST',
          setupRequest: (req) => {
            const { body, signature } = signedWebhook();
            return { ...req, body, headers: { 'content-type': 'application/json', 'x-stackone-signature': signature } };
          },
        },
      ],
    });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers (${JSON.stringify(r.statusCodeStats)}) and ${r.errors} errors`);
    const acknowledged = r['2xx'];
    if (name === 'B') {
      const deadline = Date.now() + DRAIN_WITHIN_MS;
      while (subscriber.ids.size - deliveredBefore < acknowledged && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      const delivered = subscriber.ids.size - deliveredBefore;
      if (delivered < acknowledged) throw new Error(`B: ${delivered} of ${acknowledged} events delivered within ${DRAIN_WITHIN_MS} ms`);
    }
    return { p99: r.latency.p99, cpuUsPerWebhook: (cpuMicros(pid) - before) / acknowledged };
  }

  try {
    await round('A', COUNT / 2);
    await round('B', COUNT / 2);
    const rounds: Record<'A' | 'B', Round[]> = { A: [], B: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of i % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) rounds[name].push(await round(name, COUNT));
    }
    const med = (name: 'A' | 'B', key: keyof Round): number => median(rounds[name].map((r) => r[key]));
    const label = { A: 'webhooks, no subscriber', B: `webhooks + 1 subscriber (${useRedis ? 'BullMQ in Redis' : 'in-process queue'})` };
    for (const name of ['A', 'B'] as const) {
      console.log(
        `${name} ${label[name]}: acknowledged p99 ${med(name, 'p99')} ms, ${med(name, 'cpuUsPerWebhook').toFixed(1)} us CPU/webhook ` +
          `(rounds: ${rounds[name].map((r) => r.cpuUsPerWebhook.toFixed(0)).join(', ')}), peak RSS ${Math.round(peakRssMb(services[name].child.pid))} MB`,
      );
    }
    // No webhooks/s: a round of `amount` requests ends on autocannon's 1 s sampling tick, so its rate is not measured.
    console.log(`B/A: CPU per webhook ${(med('B', 'cpuUsPerWebhook') / med('A', 'cpuUsPerWebhook')).toFixed(3)}; deliveries ${subscriber.ids.size}, repeated ${subscriber.repeats()}`);
  } finally {
    // Stopped before their keys are deleted, so no worker writes one back.
    await Promise.all([serviceA.stop(), serviceB.stop()]);
    await subscriber.close();
    if (useRedis && redisUrl) {
      const redis = new Redis(redisUrl);
      let cursor = '0';
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      console.log(`deleted ${deleted} Redis keys under ${prefix}`);
    }
  }
}

run(main);
