import { randomUUID } from 'node:crypto';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { bearer as signedBearer } from './support/jwt';
import { RedisServer } from './support/redis-server';
import { accountWebhook, signStackOneWebhook } from './support/stackone-webhook';

const REDIS_PASSWORD = 'redis-outage-test-password-5c1e';
const WEBHOOK_SECRET = 'redis-outage-webhook-secret-91b7e2';
const WAITING_MAX = 3;
/** Generous against a 300 ms command timeout, far below "hangs": each answer must come within it. */
const ANSWER_WITHIN_MS = 3_000;

const bearer = (org: string): Promise<string> => signedBearer({ org_id: org, org_name: org.toUpperCase(), email: 'ops@outage.example' });

/**
 * The real app on a private redis-server that the test kills (SIGKILL) and hangs (SIGSTOP) while
 * the service runs: every tenant request still answers within a bound, Idempotency-Key requests
 * get 503 + Retry-After, and everything comes back by itself when Redis does.
 */
describe('Redis down or hung under a running service', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let svc: TestService;
  let auth: string;

  beforeAll(async () => {
    redis = await RedisServer.start({ password: REDIS_PASSWORD });
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, {
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `outage:${randomUUID()}:`,
      REDIS_COMMAND_TIMEOUT_MS: '300',
      RATE_LIMIT_PER_TENANT: '40',
      STACKONE_RATE_LIMIT_PER_MINUTE: '100000',
      STACKONE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      // Bounds the sessions waiting in memory for Redis: each outage below creates one more than this.
      SESSION_MEMORY_MAX_ENTRIES: String(WAITING_MAX),
    });
    auth = await bearer('org_outage');
  }, 30_000);
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
    // A private server without persistence: its keys go with it.
    await redis?.close();
  });

  const post = (key?: string, org = auth) => {
    const req = svc.http().post('/v1/connect-sessions').set('Authorization', org).timeout(ANSWER_WITHIN_MS);
    return (key ? req.set('Idempotency-Key', key) : req).send({ categories: ['hris'] });
  };
  const providers = (org = auth) => svc.http().get('/v1/providers').set('Authorization', org).timeout(ANSWER_WITHIN_MS);
  const readyMode = async (): Promise<string> => {
    const res = await svc.http().get('/health/ready').timeout(ANSWER_WITHIN_MS);
    expect(res.status).toBe(200);
    return (res.body as { details: { redis: { mode: string } } }).details.redis.mode;
  };
  const degradedGauge = async (): Promise<string | undefined> =>
    /^redis_degraded (\d)$/m.exec((await svc.http().get('/metrics')).text)?.[1];
  const until = async (what: () => Promise<boolean>, ms = 5_000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!(await what())) {
      if (Date.now() > deadline) throw new Error('condition not reached in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** StackOne's signed webhook, the same bytes each time (a retry). */
  const deliver = (raw: string) =>
    svc.http().post('/webhooks/stackone').set('content-type', 'application/json').set('x-stackone-signature', signStackOneWebhook(WEBHOOK_SECRET, raw)).timeout(ANSWER_WITHIN_MS).send(raw);
  const sessionOf = (id: string) => svc.http().get(`/v1/connect-sessions/${id}`).set('Authorization', auth).timeout(ANSWER_WITHIN_MS);

  /** What happened while Redis was unusable that must not be lost: a session created, and StackOne's account event for it. */
  interface DuringOutage {
    /** Created first, then pushed out of the bounded memory by the later ones: never recorded. */
    droppedId: string;
    sessionId: string;
    webhook: string;
    accountId: string;
  }

  /** What the service must do while Redis cannot be used, however it failed. */
  async function servesDegraded(): Promise<DuringOutage> {
    // WAITING_MAX sessions before `plain`: the oldest of them is dropped from memory when `plain` comes.
    const earlier: string[] = [];
    for (let i = 0; i < WAITING_MAX; i++) earlier.push(((await post()).body as { sessionId: string }).sessionId);
    const started = Date.now();
    const plain = await post();
    const keyed = await post(randomUUID());
    const list = await providers();
    expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
    expect(plain.status).toBe(201);
    expect(keyed.status).toBe(503);
    expect(keyed.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(keyed.headers['retry-after'])).toBeGreaterThan(0);
    expect(keyed.body.detail).toMatch(/Idempotency-Key/);
    expect(list.status).toBe(200);
    // Session status cannot be read without Redis; the session just created is still handed out.
    for (const path of [`/v1/connect-sessions/${(plain.body as { sessionId: string }).sessionId}`, '/v1/connect-sessions']) {
      const status = await svc.http().get(path).set('Authorization', auth).timeout(ANSWER_WITHIN_MS);
      expect(status.status).toBe(503);
      expect(status.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(Number(status.headers['retry-after'])).toBeGreaterThan(0);
    }
    const sessionId = (plain.body as { sessionId: string }).sessionId;
    expect(svc.logs.text()).toContain(`Session ${sessionId} of tenant org_outage not recorded yet`);
    // The customer completes it meanwhile: StackOne's account event cannot complete a session now,
    // so StackOne is asked to deliver it again rather than told it was taken in.
    const event = accountWebhook({ origin_owner_id: 'org_outage', origin_owner_name: 'ORG_OUTAGE' });
    const webhook = JSON.stringify(event);
    const refused = await deliver(webhook);
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await readyMode()).toBe('degraded');
    expect(await degradedGauge()).toBe('1');
    expect(svc.logs.text()).toContain(`Session ${earlier[0]} of tenant org_outage dropped unrecorded: more than ${WAITING_MAX} waited for Redis`);
    return { droppedId: earlier[0], sessionId, webhook, accountId: event.account_id as string };
  }

  async function recovers(outage: DuringOutage): Promise<void> {
    await until(async () => (await readyMode()) === 'shared');
    expect(await degradedGauge()).toBe('0');
    // The session created during the outage is recorded once Redis is back, and StackOne's retry completes it.
    await until(async () => (await sessionOf(outage.sessionId)).status === 200);
    expect((await sessionOf(outage.sessionId)).body.status).toBe('pending');
    expect((await sessionOf(outage.droppedId)).status).toBe(404);
    const retried = await deliver(outage.webhook);
    expect([retried.status, retried.body.outcome]).toEqual([200, 'accepted']);
    expect((await sessionOf(outage.sessionId)).body).toMatchObject({ status: 'completed', accountId: outage.accountId });
    const key = randomUUID();
    const first = await post(key);
    const again = await post(key);
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const status = await svc.http().get(`/v1/connect-sessions/${(first.body as { sessionId: string }).sessionId}`).set('Authorization', auth);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('pending');
  }

  it('serves with Redis up: shared mode, Idempotency-Key replays', async () => {
    expect(await readyMode()).toBe('shared');
    expect(await degradedGauge()).toBe('0');
    const key = randomUUID();
    expect((await post(key)).status).toBe(201);
    expect((await post(key)).headers['idempotent-replayed']).toBe('true');
  });

  let outage: DuringOutage;

  it('Redis killed: answers within a bound, 503 only for Idempotency-Key and StackOne webhooks, per-process tenant limits', async () => {
    await redis.kill();
    outage = await servesDegraded();
    // Throttling falls back to this process's counters: still a limit, not an open door.
    const flooder = await bearer('org_outage_flood');
    const statuses: number[] = [];
    for (let i = 0; i < 41; i++) statuses.push((await providers(flooder)).status);
    expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
    expect(statuses[40]).toBe(429);
  }, 30_000);

  it('Redis restarted: back to shared mode without a restart of the service; the session of the outage recorded and completed by the retried webhook', async () => {
    await redis.restart();
    await recovers(outage);
  }, 15_000);

  it('Redis hung (SIGSTOP): answers within a bound instead of hanging', async () => {
    redis.pause();
    outage = await servesDegraded();
  }, 15_000);

  it('Redis resumed (SIGCONT): back to shared mode; the session of the outage recorded and completed by the retried webhook', async () => {
    redis.resume();
    await recovers(outage);
  }, 15_000);

  it('logged one warn line per transition, with the host and never the password; no 500s', async () => {
    const text = svc.logs.text();
    expect(text.match(/Redis unreachable/g)).toHaveLength(2);
    expect(text.match(/Redis reachable again/g)).toHaveLength(2);
    expect(text).toContain(`127.0.0.1:${redis.port}`);
    expect(text).not.toContain(REDIS_PASSWORD);
    expect((await svc.http().get('/metrics')).text).not.toMatch(/status="500"/);
  });
});
