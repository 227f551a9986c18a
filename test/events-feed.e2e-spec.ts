import { EventBus } from '../src/event-bus/event-bus';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionExpiry } from '../src/connect-sessions/session-expiry';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { serviceOverStandIn, startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { accountEvent, acmeBearer, globexBearer } from './support/account-events';
import { counterValue } from './support/metrics';
import { RedisServer } from './support/redis-server';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from './support/redis';
import { sessionExpiringIn } from './support/stackone-stand-in';

const acme = acmeBearer;
const globex = globexBearer;

interface FeedPage {
  data: Array<{ id: string; type: string; timestamp: string; data: Record<string, string> }>;
  nextCursor: string | null;
}

async function feed(svc: TestService, auth: string, query = ''): Promise<FeedPage> {
  const res = await svc.http().get(`/v1/events${query}`).set('Authorization', auth).expect(200);
  return res.body as FeedPage;
}

describe('tenant event feed (service against the StackOne sandbox, events in memory)', () => {
  let sandbox: Sandbox;
  let svc: TestService;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { RATE_LIMIT_PER_TENANT: '1000' });
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  it("lists the tenant's account events and its session completion in order, pages by cursor, and shows another tenant nothing", async () => {
    const auth = await acme();
    expect(await feed(svc, auth)).toEqual({ data: [], nextCursor: null });
    const created = await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ provider: 'hibob', label: 'Acme HiBob' }).expect(201);
    const sessionId = (created.body as { sessionId: string }).sessionId;
    const bus = svc.app.get(EventBus);
    await bus.publish(accountEvent());
    await bus.publish(accountEvent({ type: 'account.updated' }));
    await bus.publish(accountEvent({ type: 'account.deleted' }));
    await bus.publish(accountEvent({ type: 'account.created', tenantId: 'org_globex', tenantName: 'Globex', accountId: 'acc_globex' }));

    const page = await feed(svc, auth);
    expect(page.data.map((e) => e.type)).toEqual(['account.created', 'connect_session.completed', 'account.updated', 'account.deleted']);
    expect(page.data[0]).toEqual({
      id: expect.stringMatching(/^\d+-\d+$/),
      type: 'account.created',
      timestamp: expect.any(String),
      data: { tenantId: 'org_acme', tenantName: 'Acme Inc', accountId: 'acc_hibob_1', provider: 'hibob' },
    });
    expect(page.data[1].data).toEqual({
      tenantId: 'org_acme',
      tenantName: 'Acme Inc',
      accountId: 'acc_hibob_1',
      provider: 'hibob',
      label: 'Acme HiBob',
      sessionId,
      status: 'completed',
    });
    expect(page.nextCursor).toBe(page.data[3].id);
    // Never the session's token.
    expect(JSON.stringify(page)).not.toContain((created.body as { token: string }).token);

    const first = await feed(svc, auth, '?limit=2');
    expect(first.data.map((e) => e.id)).toEqual(page.data.slice(0, 2).map((e) => e.id));
    expect(first.nextCursor).toBe(page.data[1].id);
    const second = await feed(svc, auth, `?limit=2&after=${first.nextCursor}`);
    expect(second.data.map((e) => e.id)).toEqual(page.data.slice(2).map((e) => e.id));
    const none = await feed(svc, auth, `?limit=2&after=${second.nextCursor}`);
    expect(none).toEqual({ data: [], nextCursor: second.nextCursor });

    const other = await feed(svc, await globex());
    expect(other.data.map((e) => [e.type, e.data.accountId])).toEqual([['account.created', 'acc_globex']]);
  });

  it.each([['?after=abc'], ['?after=1-2-3'], ['?limit=0'], ['?limit=501'], ['?origin_owner_id=org_globex']])('answers %s with 400 problem+json', async (query) => {
    const res = await svc.http().get(`/v1/events${query}`).set('Authorization', await acme()).expect(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400 });
  });

  it('needs a tenant credential', async () => {
    const res = await svc.http().get('/v1/events').expect(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });
});

describe('connect_session.expired in the feed (service against a StackOne stand-in)', () => {
  const ctx = serviceOverStandIn();

  it('lists each expired session once, whether its expiry was seen by a read or by the sweep', async () => {
    ctx.standIn.session = sessionExpiringIn(1_500);
    const auth = await acme();
    const post = async (label: string): Promise<string> =>
      ((await ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ provider: 'hibob', label, expiresIn: 60, multiple: true }).expect(201)).body as { sessionId: string }).sessionId;
    const readOne = await post('read');
    const swept = await post('swept');
    expect((await feed(ctx.svc, auth)).data).toEqual([]);
    await sleep(1_700);
    await ctx.svc.http().get(`/v1/connect-sessions/${readOne}`).set('Authorization', auth).expect(200);
    await ctx.svc.http().get(`/v1/connect-sessions/${readOne}`).set('Authorization', auth).expect(200);
    await ctx.svc.app.get(SessionExpiry).sweepExpired();
    await ctx.svc.app.get(SessionExpiry).sweepExpired();

    const page = await feed(ctx.svc, auth);
    expect(page.data.map((e) => [e.type, e.data.sessionId])).toEqual([
      ['connect_session.expired', readOne],
      ['connect_session.expired', swept],
    ]);
    expect(page.data[0].data).toEqual({ tenantId: 'org_acme', sessionId: readOne, provider: 'hibob', status: 'expired' });
    expect(page.data[1].data).toMatchObject({ tenantId: 'org_acme', sessionId: swept, provider: 'hibob', status: 'expired' });
  }, 15_000);
});

describeWithRedis('tenant event feed shared through Redis by two replicas', () => {
  let sandbox: Sandbox;
  let one: TestService;
  let two: TestService;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    const env = { REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix() };
    [one, two] = await Promise.all([startService(sandbox.url, env), startService(sandbox.url, env)]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await sandbox?.close();
    await cleanUpRedisKeys();
  });

  it('lists on each replica the events either one logged, and a cursor from one pages on the other', async () => {
    const auth = await acme();
    await one.app.get(EventBus).publish(accountEvent({ accountId: 'acc_one' }));
    await two.app.get(EventBus).publish(accountEvent({ accountId: 'acc_two' }));
    await two.app.get(EventBus).publish(accountEvent({ tenantId: 'org_globex', accountId: 'acc_globex' }));
    const fromOne = await feed(one, auth);
    const fromTwo = await feed(two, auth);
    expect(fromOne.data.map((e) => e.data.accountId)).toEqual(['acc_one', 'acc_two']);
    expect(fromTwo).toEqual(fromOne);
    const next = await feed(two, auth, `?limit=1`);
    expect((await feed(one, auth, `?after=${next.nextCursor}`)).data.map((e) => e.data.accountId)).toEqual(['acc_two']);
    expect((await feed(one, await globex())).data.map((e) => e.data.accountId)).toEqual(['acc_globex']);
  });
});

describe('tenant event feed while Redis is down', () => {
  let redis: RedisServer;
  let sandbox: Sandbox;
  let svc: TestService;

  beforeAll(async () => {
    redis = await RedisServer.start();
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'feed-outage:', REDIS_COMMAND_TIMEOUT_MS: '300' });
  }, 30_000);
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
    // A private server without persistence: its keys go with it.
    await redis?.close();
  });

  const fallbacks = async (): Promise<number> => counterValue((await svc.http().get('/metrics').expect(200)).text, 'redis_fallbacks_total', { use: 'events' });

  it('skips writes with a warning and a counted fallback, answers reads 503 with Retry-After, and lists again once Redis is back', async () => {
    const auth = await acme();
    const bus = svc.app.get(EventBus);
    await bus.publish(accountEvent({ accountId: 'acc_before' }));
    expect((await feed(svc, auth)).data.map((e) => e.data.accountId)).toEqual(['acc_before']);

    await redis.kill();
    const before = await fallbacks();
    await bus.publish(accountEvent({ accountId: 'acc_lost' }));
    expect(svc.logs.text()).toContain('Event account.created of tenant org_acme not logged');
    const res = await svc.http().get('/v1/events').set('Authorization', auth).expect(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await fallbacks()).toBe(before + 2);

    await redis.restart();
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await svc.http().get('/v1/events').set('Authorization', auth)).status) !== 200) await sleep(100);
    expect(status).toBe(200);
    await bus.publish(accountEvent({ accountId: 'acc_after' }));
    // The private server has no persistence: only what was logged after the restart is there.
    expect((await feed(svc, auth)).data.map((e) => e.data.accountId)).toEqual(['acc_after']);
  }, 30_000);
});
