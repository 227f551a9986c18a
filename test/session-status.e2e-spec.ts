import { setTimeout as sleep } from 'node:timers/promises';
import { EventBus } from '../src/event-bus/event-bus';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { serviceOverStandIn, startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { accountEvent, acmeBearer, globexBearer } from './support/account-events';
import { bearer } from './support/jwt';
import { counterValue } from './support/metrics';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl, scanKeys, testRedisClient } from './support/redis';
import { sessionExpiringIn } from './support/stackone-stand-in';

const acme = acmeBearer;
const globex = globexBearer;

async function metric(svc: TestService, name: string, labels: Record<string, string> = {}): Promise<number> {
  return counterValue((await svc.http().get('/metrics').expect(200)).text, name, labels);
}

interface Created {
  sessionId: string;
  token: string;
  authLinkUrl: string;
}

async function create(svc: TestService, auth: string, body: Record<string, unknown>): Promise<Created> {
  const res = await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body).expect(201);
  return res.body as Created;
}

describe('session status (service against the StackOne sandbox, sessions in memory)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let events: EventBus;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { RATE_LIMIT_PER_TENANT: '1000' });
    events = svc.app.get(EventBus);
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  it('reads a new session as pending, then completed with the account once its account event arrives; the same event again changes nothing', async () => {
    const auth = await acme();
    const createdBefore = await metric(svc, 'connect_sessions_created_total', { provider: 'hibob' });
    const completedBefore = await metric(svc, 'connect_sessions_completed_total', { provider: 'hibob', action: 'create' });
    const completionsBefore = await metric(svc, 'connect_session_completion_seconds_count');
    const older = await create(svc, auth, { provider: 'hibob', label: 'first' });
    const session = await create(svc, auth, { provider: 'hibob', label: 'Acme HiBob', expiresIn: 600 });

    const pending = await svc.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', auth).expect(200);
    expect(pending.headers['cache-control']).toBe('no-store');
    expect(pending.body).toEqual({
      sessionId: session.sessionId,
      status: 'pending',
      provider: 'hibob',
      accountAction: 'create',
      label: 'Acme HiBob',
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(pending.body.expiresAt) - Date.parse(pending.body.createdAt)).toBe(600_000);
    // Never the token or the hosted link.
    expect(JSON.stringify(pending.body)).not.toContain(session.token);
    expect(JSON.stringify(pending.body)).not.toContain('authLinkUrl');

    const event = accountEvent();
    await events.publish(event);
    const done = await svc.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', auth).expect(200);
    expect(done.body).toMatchObject({ status: 'completed', accountId: 'acc_hibob_1', accountAction: 'create', completedAt: event.occurredAt });

    await events.publish(event);
    const first = await svc.http().get(`/v1/connect-sessions/${older.sessionId}`).set('Authorization', auth).expect(200);
    expect(first.body.status).toBe('pending');

    expect(await metric(svc, 'connect_sessions_created_total', { provider: 'hibob' })).toBe(createdBefore + 2);
    expect(await metric(svc, 'connect_sessions_completed_total', { provider: 'hibob', action: 'create' })).toBe(completedBefore + 1);
    expect(await metric(svc, 'connect_session_completion_seconds_count')).toBe(completionsBefore + 1);
  });

  it('completes a provider-less session whose categories fit the provider (category from the connector list)', async () => {
    const auth = await acme();
    const ats = await create(svc, auth, { categories: ['ats'] });
    const hris = await create(svc, auth, { categories: ['hris'] });
    await events.publish(accountEvent({ accountId: 'acc_bamboo', provider: 'bamboohr' }));
    const read = async (id: string): Promise<Record<string, unknown>> =>
      (await svc.http().get(`/v1/connect-sessions/${id}`).set('Authorization', auth).expect(200)).body as Record<string, unknown>;
    expect(await read(hris.sessionId)).toMatchObject({ status: 'completed', accountId: 'acc_bamboo', categories: ['hris'] });
    expect((await read(ats.sessionId)).status).toBe('pending');
  });

  it("answers another tenant's session and an unknown one with the same 404, and an event for another owner touches nothing", async () => {
    const session = await create(svc, await acme(), { provider: 'lever' });
    const other = await globex();
    const foreign = await svc.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', other).expect(404);
    const unknown = await svc.http().get('/v1/connect-sessions/999999999').set('Authorization', other).expect(404);
    expect(foreign.headers['content-type']).toMatch(/^application\/problem\+json/);
    const strip = (b: Record<string, unknown>): Record<string, unknown> => ({ ...b, instance: undefined, requestId: undefined });
    expect(strip(foreign.body)).toEqual(strip(unknown.body));

    await events.publish(accountEvent({ tenantId: 'org_globex', provider: 'lever', accountId: 'acc_globex_lever' }));
    const mine = await svc.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', await acme()).expect(200);
    expect(mine.body.status).toBe('pending');
  });

  it.each([
    ['a path', '..%2Fx'],
    ['too long an id', 'x'.repeat(65)],
    ['punctuation', 'a.b'],
  ])('refuses %s as the session id with 400 problem+json', async (_name, id) => {
    const res = await svc.http().get(`/v1/connect-sessions/${id}`).set('Authorization', await acme()).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'sessionId', message: expect.any(String) }]);
  });

  it('lists the tenant\'s sessions newest first, filtered by status and provider, a page at a time', async () => {
    const auth = await bearer({ org_id: 'org_lister', org_name: 'Lister' });
    const made: string[] = [];
    for (const provider of ['hibob', 'greenhouse', 'hibob', 'hibob']) made.push((await create(svc, auth, { provider })).sessionId);
    await events.publish(accountEvent({ tenantId: 'org_lister', provider: 'greenhouse', accountId: 'acc_gh' }));

    const all = await svc.http().get('/v1/connect-sessions').set('Authorization', auth).expect(200);
    expect(all.body.data.map((s: { sessionId: string }) => s.sessionId)).toEqual([...made].reverse());
    expect(all.body).toMatchObject({ page: 1, pageSize: 25, hasMore: false });

    const hibob1 = await svc.http().get('/v1/connect-sessions?provider=hibob&pageSize=2').set('Authorization', auth).expect(200);
    expect(hibob1.body).toMatchObject({ page: 1, pageSize: 2, hasMore: true });
    expect(hibob1.body.data.map((s: { sessionId: string }) => s.sessionId)).toEqual([made[3], made[2]]);
    const hibob2 = await svc.http().get('/v1/connect-sessions?provider=hibob&pageSize=2&page=2').set('Authorization', auth).expect(200);
    expect(hibob2.body).toMatchObject({ page: 2, hasMore: false });
    expect(hibob2.body.data.map((s: { sessionId: string }) => s.sessionId)).toEqual([made[0]]);

    const completed = await svc.http().get('/v1/connect-sessions?status=completed').set('Authorization', auth).expect(200);
    expect(completed.body.data).toEqual([expect.objectContaining({ sessionId: made[1], status: 'completed', accountId: 'acc_gh' })]);
    const pending = await svc.http().get('/v1/connect-sessions?status=pending').set('Authorization', auth).expect(200);
    expect(pending.body.data).toHaveLength(3);

    const others = await svc.http().get('/v1/connect-sessions').set('Authorization', await globex()).expect(200);
    expect(others.body.data.map((s: { sessionId: string }) => s.sessionId)).not.toEqual(expect.arrayContaining([made[0]]));
  });

  it.each([
    ['status=done', 'status'],
    ['provider=Hi%20Bob', 'provider'],
    ['pageSize=101', 'pageSize'],
    ['page=0', 'page'],
    ['origin_owner_id=org_evil', 'origin_owner_id'],
    ['foo=1', 'foo'],
  ])('refuses the listing query %s with 400 naming the field', async (query, field) => {
    const res = await svc.http().get(`/v1/connect-sessions?${query}`).set('Authorization', await acme()).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('documents both endpoints in Swagger with their answer schemas', async () => {
    const doc = (await svc.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
    };
    const ok = (path: string): string | undefined => doc.paths[path]?.get?.responses['200']?.content?.['application/json']?.schema.$ref;
    expect(ok('/v1/connect-sessions')).toBe('#/components/schemas/SessionListResponseDto');
    expect(ok('/v1/connect-sessions/{sessionId}')).toBe('#/components/schemas/SessionStatusResponseDto');
    expect(Object.keys(doc.paths['/v1/connect-sessions/{sessionId}'].get.responses)).toEqual(expect.arrayContaining(['400', '404', '503']));
  });

  it('needs credentials', async () => {
    await svc.http().get('/v1/connect-sessions').expect(401);
    await svc.http().get('/v1/connect-sessions/1').expect(401);
  });
});

describe('session expiry (service against a StackOne stand-in)', () => {
  const ctx = serviceOverStandIn();

  it('reads a pending session past expiresAt as expired, counts it once, and no later event completes it', async () => {
    ctx.standIn.session = sessionExpiringIn(1_500);
    const auth = await acme();
    const session = await create(ctx.svc, auth, { provider: 'hibob', expiresIn: 60, multiple: true });
    const before = await metric(ctx.svc, 'connect_sessions_expired_total', { provider: 'hibob' });
    const read = async (): Promise<{ status: string }> =>
      (await ctx.svc.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', auth).expect(200)).body as { status: string };
    expect((await read()).status).toBe('pending');
    await sleep(1_700);
    expect((await read()).status).toBe('expired');
    expect((await read()).status).toBe('expired');
    const listed = await ctx.svc.http().get('/v1/connect-sessions?status=expired').set('Authorization', auth).expect(200);
    expect(listed.body.data.map((s: { sessionId: string }) => s.sessionId)).toContain(session.sessionId);
    expect(await metric(ctx.svc, 'connect_sessions_expired_total', { provider: 'hibob' })).toBe(before + 1);

    await ctx.svc.app.get(EventBus).publish(accountEvent());
    expect((await read()).status).toBe('expired');
  }, 15_000);
});

describeWithRedis('session status shared through Redis by two replicas', () => {
  let sandbox: Sandbox;
  let one: TestService;
  let two: TestService;
  let prefix: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    prefix = redisTestPrefix();
    const env = { REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: prefix, SESSION_RETENTION_SECONDS: '60' };
    [one, two] = await Promise.all([startService(sandbox.url, env), startService(sandbox.url, env)]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await sandbox?.close();
    await cleanUpRedisKeys();
  });

  it("reads each other's sessions; an event handled by one completes the session for both, once", async () => {
    const auth = await acme();
    const session = await create(one, auth, { provider: 'personio', expiresIn: 300 });
    const onTwo = await two.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', auth).expect(200);
    expect(onTwo.body).toMatchObject({ sessionId: session.sessionId, status: 'pending', provider: 'personio' });
    const listed = await two.http().get('/v1/connect-sessions?provider=personio').set('Authorization', auth).expect(200);
    expect(listed.body.data.map((s: { sessionId: string }) => s.sessionId)).toEqual([session.sessionId]);

    const event = accountEvent({ provider: 'personio', accountId: 'acc_personio' });
    await two.app.get(EventBus).publish(event);
    await one.app.get(EventBus).publish(event);
    const onOne = await one.http().get(`/v1/connect-sessions/${session.sessionId}`).set('Authorization', auth).expect(200);
    expect(onOne.body).toMatchObject({ status: 'completed', accountId: 'acc_personio' });
    const completed = async (svc: TestService): Promise<number> => metric(svc, 'connect_sessions_completed_total', { provider: 'personio', action: 'create' });
    expect((await completed(one)) + (await completed(two))).toBe(1);

    // Keys under the prefix, with a TTL, and no token anywhere.
    const redis = testRedisClient(redisUrl as string);
    try {
      // The completed session left the expiring set (now empty, so gone): its hash and the tenant's index remain.
      const keys = await scanKeys(redis, `${prefix}session*`);
      expect(keys.sort()).toEqual([`${prefix}session:8:org_acme:${session.sessionId}`, `${prefix}sessions:8:org_acme`]);
      const hash = await redis.hgetall(`${prefix}session:8:org_acme:${session.sessionId}`);
      expect(hash.r).not.toContain(session.token);
      expect(JSON.parse(hash.r)).toMatchObject({ tenantId: 'org_acme', principal: 'user_jane', provider: 'personio' });
      const ttl = await redis.pttl(`${prefix}session:8:org_acme:${session.sessionId}`);
      expect(ttl).toBeGreaterThan(300_000);
      expect(ttl).toBeLessThanOrEqual(360_000);
    } finally {
      await redis.quit();
    }
  });
});
