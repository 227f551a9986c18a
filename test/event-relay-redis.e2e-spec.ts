import { TestSubscriber } from './support/event-subscriber';
import { counterValue } from './support/metrics';
import { launchNode, ServiceProcess, startServiceProcess } from './support/processes';
import { cleanUpRedisKeys, describeWithRedis, redisForTests, redisTestPrefix, redisUrl, scanKeys } from './support/redis';
import { RedisServer } from './support/redis-server';
import { startStackOneStandIn, StackOneStandIn } from './support/stackone-stand-in';
import { accountWebhook, postStackOneWebhook } from './support/stackone-webhook';

const STACKONE_SECRET = 'whsec_relay_redis_e2e_0c7d2a';
const KEY = 'sk_relay_redis_stackone_key';
const JWT = 'relay-redis-e2e-jwt-secret-0123456789abcdef';

const metricOf = async (svc: ServiceProcess, name: string, labels: Record<string, string>): Promise<number> =>
  counterValue(await (await fetch(`${svc.url}/metrics`)).text(), name, labels);

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The relay on BullMQ: the built service (dist/main.js) as child processes on the shared Redis, one
 * key prefix per test (deleted after it, queues and all), a real HTTP subscriber.
 */
describeWithRedis('events relayed through BullMQ in Redis', () => {
  let standIn: StackOneStandIn;
  let subscriber: TestSubscriber;
  let started: ServiceProcess[] = [];
  const redis = redisForTests();

  const envFor = (prefix: string, over: Record<string, string> = {}, url = redisUrl as string): Record<string, string> => ({
    STACKONE_API_KEY: KEY,
    STACKONE_BASE_URL: standIn.url,
    AUTH_JWT_SECRET: JWT,
    REDIS_URL: url,
    REDIS_KEY_PREFIX: prefix,
    STACKONE_WEBHOOK_SECRET: STACKONE_SECRET,
    EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'sync', url: subscriber.url, secret: subscriber.secret }]),
    EVENT_DELIVERY_BASE_DELAY_MS: '100',
    EVENT_DELIVERY_MAX_ATTEMPTS: '5',
    EVENT_DELIVERY_TIMEOUT_MS: '1000',
    ...over,
  });
  const start = async (env: Record<string, string>): Promise<ServiceProcess> => {
    const svc = await startServiceProcess(env, { timeoutMs: 20_000 });
    started.push(svc);
    return svc;
  };

  beforeAll(async () => {
    standIn = await startStackOneStandIn();
    subscriber = await TestSubscriber.start();
  });
  beforeEach(() => {
    subscriber.deliveries.length = 0;
    subscriber.answerAlways(undefined);
  });
  afterEach(async () => {
    await Promise.all(started.map((s) => s.stop()));
    started = [];
    await cleanUpRedisKeys(redis());
  });
  afterAll(async () => {
    await subscriber?.close();
    await standIn?.close();
  });

  it('keeps its queue under REDIS_KEY_PREFIX, and a delivery retried after a restart loses nothing (same webhook-id)', async () => {
    const prefix = redisTestPrefix();
    const env = envFor(prefix, { EVENT_DELIVERY_BASE_DELAY_MS: '2000' });
    const first = await start(env);
    subscriber.answerAlways(500);
    const event = accountWebhook();
    expect((await postStackOneWebhook(first.url, STACKONE_SECRET, event)).status).toBe(200);
    const [failed] = await subscriber.waitFor(1);
    // Let the worker move the job to "delayed" (its retry waits ~2 s), then kill the process outright.
    await new Promise((r) => setTimeout(r, 300));
    first.child.kill('SIGKILL');
    await first.closed;
    expect((await scanKeys(redis(), `${prefix}bull:relay-sync:*`)).length).toBeGreaterThan(0);

    subscriber.answerAlways(undefined);
    const second = await start(env);
    const [delivered] = await subscriber.waitFor(1, (d) => d.status === 204, 15_000);
    expect(delivered.webhookId).toBe(failed.webhookId);
    expect(delivered.verified?.data.accountId).toBe(event.account_id);
    await new Promise((r) => setTimeout(r, 500));
    expect(subscriber.delivered()).toHaveLength(1);
    expect(await metricOf(second, 'event_deliveries_total', { subscriber: 'sync', outcome: 'delivered' })).toBe(1);
  }, 45_000);

  it('two replicas share the queue: each event delivered once, even when both take it in', async () => {
    const env = envFor(redisTestPrefix());
    const [a, b] = await Promise.all([start(env), start(env)]);
    const events = Array.from({ length: 10 }, () => accountWebhook());
    for (const [i, event] of events.entries()) {
      // The same event to both replicas, as a StackOne retry would be (a later sent_at: not a byte-for-byte duplicate).
      expect((await postStackOneWebhook(i % 2 ? a.url : b.url, STACKONE_SECRET, event)).status).toBe(200);
      const retry = { ...event, sent_at: new Date(Date.now() + 1_000).toISOString() };
      expect((await postStackOneWebhook(i % 2 ? b.url : a.url, STACKONE_SECRET, retry)).status).toBe(200);
    }
    await subscriber.waitFor(10);
    await new Promise((r) => setTimeout(r, 1_000));
    const ids = subscriber.delivered().map((d) => d.webhookId);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
    expect(new Set(subscriber.delivered().map((d) => d.verified?.data.accountId))).toEqual(new Set(events.map((e) => e.account_id)));
    const byReplica = await Promise.all([a, b].map((r) => metricOf(r, 'event_deliveries_total', { subscriber: 'sync', outcome: 'delivered' })));
    expect(byReplica[0] + byReplica[1]).toBe(10);
  }, 45_000);

  it('bounds deliveries in flight to one subscriber across replicas (EVENT_DELIVERY_CONCURRENCY)', async () => {
    const env = envFor(redisTestPrefix(), { EVENT_DELIVERY_CONCURRENCY: '1', EVENT_DELIVERY_TIMEOUT_MS: '1500' });
    const [a, b] = await Promise.all([start(env), start(env)]);
    subscriber.answer('hang', 'hang');
    for (let i = 0; i < 4; i++) expect((await postStackOneWebhook(i % 2 ? a.url : b.url, STACKONE_SECRET, accountWebhook())).status).toBe(200);
    await subscriber.waitFor(1);
    // The first attempt hangs for 1.5 s: with one slot fleet-wide, nothing else is sent meanwhile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(subscriber.deliveries).toHaveLength(1);
    await subscriber.waitFor(4, (d) => d.status === 204, 20_000);
    // One at a time throughout: each request arrived after the previous one was answered or timed out.
    const arrivals = subscriber.deliveries.map((d) => d.at);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]).toBeGreaterThanOrEqual(arrivals[i - 1]);
    expect(subscriber.deliveries.slice(0, 2).map((d) => d.status)).toEqual([0, 0]);
    expect(subscriber.deliveries[1].at - subscriber.deliveries[0].at).toBeGreaterThanOrEqual(1_400);
  }, 45_000);

  it('dead-letters after the last attempt, kept in Redis; the replay script sends it again with the same webhook-id', async () => {
    const env = envFor(redisTestPrefix(), { EVENT_DELIVERY_MAX_ATTEMPTS: '3', EVENT_DELIVERY_BASE_DELAY_MS: '50' });
    const svc = await start(env);
    subscriber.answerAlways(503);
    const event = accountWebhook({ origin_owner_id: 'org_replay' });
    expect((await postStackOneWebhook(svc.url, STACKONE_SECRET, event)).status).toBe(200);
    await subscriber.waitFor(3);
    await until('the dead letter', async () => (await metricOf(svc, 'event_dead_letters_total', { subscriber: 'sync' })) === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(subscriber.deliveries).toHaveLength(3);
    // The queue depth gauge (refreshed every 5 s) shows the dead letter kept.
    await until('the depth gauge', async () => (await metricOf(svc, 'event_delivery_queue_depth', { subscriber: 'sync', state: 'failed' })) === 1, 8_000);
    expect(svc.output()).toMatch(/Delivery msg_[0-9a-f]{32} \(account\.created, tenant org_replay\) to sync dead-lettered after 3 attempts/);

    subscriber.answerAlways(undefined);
    const replay = (args: string[]) => launchNode(['dist/event-relay/replay-dead-letters.js', ...args], { env, timeoutMs: 30_000 });
    const dry = await replay(['--subscriber', 'sync', '--dry-run']);
    expect(await dry.closed).toBe(0);
    expect(dry.output()).toContain('1 dead letter(s) to replay for sync');
    const otherTenant = await replay(['--subscriber', 'sync', '--tenant', 'org_someone_else']);
    expect(await otherTenant.closed).toBe(0);
    expect(otherTenant.output()).toContain('0 dead letter(s) replayed');
    const unknown = await replay(['--subscriber', 'nobody']);
    expect(await unknown.closed).toBe(2);

    const run = await replay(['--subscriber', 'sync', '--tenant', 'org_replay']);
    expect(await run.closed).toBe(0);
    expect(run.output()).toContain(`replayed ${subscriber.deliveries[0].webhookId} account.created tenant org_replay`);
    const [delivered] = await subscriber.waitFor(1, (d) => d.status === 204);
    expect(delivered.webhookId).toBe(subscriber.deliveries[0].webhookId);
    expect(run.output()).not.toContain(subscriber.secret);
  }, 45_000);
});

/**
 * StackOne's webhook while the queue cannot take the event (its own Redis, killed): 503 + Retry-After
 * and the delivery not recorded as seen, so StackOne's retry is processed and the event delivered.
 */
describe('a StackOne webhook whose event cannot be queued', () => {
  let standIn: StackOneStandIn;
  let subscriber: TestSubscriber;
  let server: RedisServer;
  let svc: ServiceProcess | undefined;

  beforeAll(async () => {
    standIn = await startStackOneStandIn();
    subscriber = await TestSubscriber.start();
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await svc?.stop();
    await server?.close();
    await subscriber?.close();
    await standIn?.close();
  });

  it('answers 503 problem+json with Retry-After, and processes the retry once Redis is back', async () => {
    svc = await startServiceProcess(
      {
        STACKONE_API_KEY: KEY,
        STACKONE_BASE_URL: standIn.url,
        AUTH_JWT_SECRET: JWT,
        REDIS_URL: server.url,
        REDIS_KEY_PREFIX: 'relay-fault:',
        STACKONE_WEBHOOK_SECRET: STACKONE_SECRET,
        EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'sync', url: subscriber.url, secret: subscriber.secret }]),
        EVENT_DELIVERY_BASE_DELAY_MS: '100',
        REDIS_COMMAND_TIMEOUT_MS: '200',
      },
      { timeoutMs: 20_000 },
    );
    const event = accountWebhook();
    await server.kill();
    const started = Date.now();
    const refused = await postStackOneWebhook(svc.url, STACKONE_SECRET, event);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await metricOf(svc, 'stackone_webhooks_received_total', { event: 'account.created', outcome: 'unavailable' })).toBe(1);

    await server.restart();
    // StackOne retries the same bytes until one is taken in: never a "duplicate".
    const outcomes: string[] = [];
    await until(
      'the retry taken in',
      async () => {
        const res = await postStackOneWebhook(svc!.url, STACKONE_SECRET, event);
        outcomes.push(res.status === 200 ? ((await res.json()) as { outcome: string }).outcome : String(res.status));
        return res.status === 200;
      },
      15_000,
    );
    expect(outcomes.at(-1)).toBe('accepted');
    expect(outcomes.filter((o) => o !== '503' && o !== 'accepted')).toEqual([]);
    const [delivered] = await subscriber.waitFor(1, (d) => d.status === 204);
    expect(delivered.verified?.data.accountId).toBe(event.account_id);
  }, 45_000);

  it('answers 503 within the bound while Redis hangs (SIGSTOP), never waiting on it', async () => {
    const event = accountWebhook();
    server.pause();
    try {
      const started = Date.now();
      const res = await postStackOneWebhook(svc!.url, STACKONE_SECRET, event);
      expect(res.status).toBe(503);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      server.resume();
    }
  }, 30_000);

  it('shuts down promptly while Redis is down (the workers do not wait on it)', async () => {
    await server.kill();
    await until('degraded', async () => /redis_degraded 1/.test(await (await fetch(`${svc!.url}/metrics`)).text()));
    const started = Date.now();
    await svc!.stop();
    expect([svc!.child.exitCode, svc!.child.signalCode]).toEqual([0, null]);
    expect(Date.now() - started).toBeLessThan(3_000);
  }, 30_000);
});
