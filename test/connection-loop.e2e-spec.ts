import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';
import { counterValue } from './support/metrics';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from './support/redis';

/**
 * Issue 13's loop end to end, with nothing published by hand: the service asks the sandbox for a
 * session, the hosted page completes it, the sandbox signs and POSTs the account events to the
 * service's /webhooks/stackone, and the session status and the account mirror follow from them.
 */
const SECRET = 'whsec_e2e_loop_4b1f0c8e2d7a';

interface Session {
  sessionId: string;
  authLinkUrl: string;
  accountAction: string;
  accountId?: string;
}

function connectionLoop(storeEnv: () => Record<string, string>): void {
  let sandbox: Sandbox;
  let svc: TestService;
  let acme: string;
  let globex: string;
  let tenantId: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { STACKONE_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_TENANT: '10000', ...storeEnv() });
    const { base } = await svc.listen();
    // The service needs the sandbox's URL to start, the sandbox the service's to send its events.
    sandbox.setWebhook({ url: `${base}/webhooks/stackone`, secret: SECRET });
    // A tenant of its own per run: the memory suite and the Redis suite never share one.
    tenantId = `org_loop_${randomUUID().slice(0, 8)}`;
    acme = await bearer({ org_id: tenantId, org_name: 'Loop Acme', email: 'jane@loop.example' });
    globex = await bearer({ org_id: `${tenantId}_other`, org_name: 'Loop Globex' });
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
    await cleanUpRedisKeys();
  });

  const metric = async (name: string, labels: Record<string, string>): Promise<number> =>
    counterValue((await svc.http().get('/metrics').expect(200)).text, name, labels);
  const metrics = async (): Promise<number[]> => [
    await metric('connect_sessions_completed_total', { provider: 'hibob', action: 'create' }),
    await metric('stackone_webhooks_received_total', { event: 'account.created', outcome: 'accepted' }),
    await metric('stackone_webhooks_received_total', { event: 'account.deleted', outcome: 'accepted' }),
  ];
  /** The preview's look-up: StackOne's account list (reads of one account by id are not counted). */
  const lookups = (): number => sandbox.requests.filter((r) => r.method === 'GET' && r.path === '/accounts').length;
  const create = async (): Promise<Session> =>
    (await svc.http().post('/v1/connect-sessions').set('Authorization', acme).send({ provider: 'hibob' }).expect(201)).body as Session;
  const status = async (sessionId: string, auth = acme): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await svc.http().get(`/v1/connect-sessions/${sessionId}`).set('Authorization', auth);
    return { status: res.status, body: res.body as Record<string, unknown> };
  };
  /** The page waits for the event's delivery (at most 1 s), so this rarely loops; bounded either way. */
  async function completedStatus(sessionId: string, boundMs = 5_000): Promise<Record<string, unknown>> {
    const until = Date.now() + boundMs;
    for (;;) {
      const read = await status(sessionId);
      if (read.body.status !== 'pending' || Date.now() > until) return read.body;
      await sleep(50);
    }
  }

  it('create → hosted page → completed with the account; the next preview says update with no look-up; after a delete, create', async () => {
    const [completedBefore, createdHooksBefore, deletedHooksBefore] = await metrics();

    const first = await create();
    expect(first.accountAction).toBe('create');
    expect((await status(first.sessionId)).body).toMatchObject({ sessionId: first.sessionId, status: 'pending', provider: 'hibob' });
    expect(lookups()).toBe(1);

    const done = await completeSession(first.authLinkUrl);
    expect([done.status, done.action]).toEqual([200, 'created']);
    const completed = await completedStatus(first.sessionId);
    expect(completed).toMatchObject({ status: 'completed', accountId: done.accountId, accountAction: 'create', provider: 'hibob' });
    expect(Date.parse(completed.completedAt as string)).toBeGreaterThanOrEqual(Date.parse(completed.createdAt as string));
    expect(sandbox.webhooks.map((d) => [d.event, d.accountId, d.status])).toEqual([['account.created', done.accountId, 200]]);

    // Another tenant gets the same 404 as for an unknown id.
    const foreign = await status(first.sessionId, globex);
    expect([foreign.status, foreign.body.status]).toEqual([404, 404]);

    // The mirror learned the account from the webhook: no StackOne look-up for this preview.
    const second = await create();
    expect(second).toMatchObject({ accountAction: 'update', accountId: done.accountId });
    expect(lookups()).toBe(1);

    await svc.http().delete(`/v1/accounts/${String(done.accountId)}`).set('Authorization', acme).expect(204);
    await sandbox.webhooksSettled();
    expect(sandbox.webhooks.map((d) => [d.event, d.status])).toEqual([
      ['account.created', 200],
      ['account.deleted', 200],
    ]);
    // The mirror held the tenant's full set for hibob (from the first look-up) and both events
    // changed it, so it knows "none" now: create, still without a look-up.
    const third = await create();
    expect(third.accountAction).toBe('create');
    expect(third).not.toHaveProperty('accountId');
    expect(lookups()).toBe(1);

    expect(await metrics()).toEqual([completedBefore + 1, createdHooksBefore + 1, deletedHooksBefore + 1]);
  });

  it("an account deleted at StackOne (not through this service) reaches the preview through the webhook alone", async () => {
    const session = await create();
    expect(session.accountAction).toBe('create');
    const done = await completeSession(session.authLinkUrl);
    expect((await completedStatus(session.sessionId)).accountId).toBe(done.accountId);
    const before = lookups();
    expect(await create()).toMatchObject({ accountAction: 'update', accountId: done.accountId });

    // As in StackOne's dashboard: the sandbox's own API, which sends account.deleted.
    const removed = await fetch(`${sandbox.url}/accounts/${String(done.accountId)}`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${Buffer.from(`${TEST_STACKONE_KEY}:`).toString('base64')}` },
    });
    expect(removed.status).toBe(200);
    await sandbox.webhooksSettled();
    expect(sandbox.webhooks.at(-1)).toMatchObject({ event: 'account.deleted', accountId: done.accountId, status: 200 });

    const next = await create();
    expect(next.accountAction).toBe('create');
    expect(next).not.toHaveProperty('accountId');
    expect(lookups()).toBe(before);
  });

  /** A tenant of its own for one test, so no other test's pending sessions take its events. */
  const freshTenant = async (name: string): Promise<string> =>
    bearer({ org_id: `${tenantId}_${name}`, org_name: `Loop ${name}`, email: `jane@${name}.example` });
  const open = async (auth: string, body: Record<string, unknown>): Promise<Session> =>
    (await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body).expect(201)).body as Session;
  const read = async (auth: string, sessionId: string): Promise<Record<string, unknown>> =>
    (await svc.http().get(`/v1/connect-sessions/${sessionId}`).set('Authorization', auth).expect(200)).body as Record<string, unknown>;
  /** Waits (bounded) until the session leaves pending; the page already waited for the event's delivery. */
  async function settled(auth: string, sessionId: string, boundMs = 5_000): Promise<Record<string, unknown>> {
    const until = Date.now() + boundMs;
    for (;;) {
      const body = await read(auth, sessionId);
      if (body.status !== 'pending' || Date.now() > until) return body;
      await sleep(50);
    }
  }
  /** An account of the tenant's, made through the hosted page of a session of its own. */
  async function connectedAccount(auth: string, provider = 'hibob'): Promise<string> {
    const made = await open(auth, { provider, multiple: true });
    const done = await completeSession(made.authLinkUrl);
    expect((await settled(auth, made.sessionId)).status).toBe('completed');
    return done.accountId as string;
  }
  const feedTypes = async (auth: string): Promise<Array<[string, string | undefined]>> =>
    ((await svc.http().get('/v1/events').set('Authorization', auth).expect(200)).body as { data: Array<{ type: string; data: { accountId?: string } }> }).data.map(
      (e) => [e.type, e.data.accountId],
    );

  it("the service's own PATCH of an account (label, empty, metadata) completes no pending session; its account.updated still reaches the feed", async () => {
    const auth = await freshTenant('selfedit');
    const accountId = await connectedAccount(auth);
    const relink = await open(auth, { accountId });
    const preview = await open(auth, { provider: 'hibob' });
    expect(preview).toMatchObject({ accountAction: 'update', accountId });
    const hris = await open(auth, { categories: ['hris'] });
    const anyProvider = await open(auth, {});
    const deliveredBefore = sandbox.webhooks.length;

    for (const body of [{ label: 'Renamed by the tenant' }, {}, { metadata: { plan: 'gold' } }]) {
      await svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', auth).send(body).expect(200);
    }
    await sandbox.webhooksSettled();
    // StackOne's (the sandbox's) account.updated for each edit was delivered and taken in.
    expect(sandbox.webhooks.slice(deliveredBefore).map((d) => [d.event, d.accountId, d.status])).toEqual([
      ['account.updated', accountId, 200],
      ['account.updated', accountId, 200],
      ['account.updated', accountId, 200],
    ]);
    for (const session of [relink, preview, hris, anyProvider]) {
      expect(await read(auth, session.sessionId)).toMatchObject({ sessionId: session.sessionId, status: 'pending' });
    }
    const feed = await feedTypes(auth);
    expect(feed.filter(([type]) => type === 'account.updated')).toEqual([
      ['account.updated', accountId],
      ['account.updated', accountId],
      ['account.updated', accountId],
    ]);
    expect(feed.filter(([type]) => type === 'connect_session.completed')).toHaveLength(1);
  });

  it("a re-link is completed by the customer's edit of that account in the hosted page; a category session is not", async () => {
    const auth = await freshTenant('relink');
    const accountId = await connectedAccount(auth);
    const other = await connectedAccount(auth);
    const hris = await open(auth, { categories: ['hris'] });
    const relinkOther = await open(auth, { accountId: other });
    const relink = await open(auth, { accountId });
    const done = await completeSession(relink.authLinkUrl);
    expect([done.status, done.action, done.accountId]).toEqual([200, 'updated', accountId]);
    expect(await settled(auth, relink.sessionId)).toMatchObject({ status: 'completed', accountId, accountAction: 'update', provider: 'hibob' });
    expect((await read(auth, hris.sessionId)).status).toBe('pending');
    expect((await read(auth, relinkOther.sessionId)).status).toBe('pending');
  });

  it("an edit of an account made outside this service (a StackOne dashboard session) completes no category or open session", async () => {
    const auth = await freshTenant('dashboard');
    const accountId = await connectedAccount(auth);
    const hris = await open(auth, { categories: ['hris'] });
    const anyProvider = await open(auth, {});
    // As in StackOne's dashboard: a session made at the sandbox's own API, for that account.
    const made = await fetch(`${sandbox.url}/connect_sessions`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${TEST_STACKONE_KEY}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ origin_owner_id: `${tenantId}_dashboard`, origin_owner_name: 'Loop dashboard', account_id: accountId }),
    });
    expect(made.status).toBe(201);
    const done = await completeSession(((await made.json()) as { auth_link_url: string }).auth_link_url);
    expect([done.action, done.accountId]).toEqual(['updated', accountId]);
    await sandbox.webhooksSettled();
    expect(sandbox.webhooks.at(-1)).toMatchObject({ event: 'account.updated', accountId, status: 200 });
    expect((await read(auth, hris.sessionId)).status).toBe('pending');
    expect((await read(auth, anyProvider.sessionId)).status).toBe('pending');
  });

  it('a provider session whose preview said update is completed by the update of that account', async () => {
    const auth = await freshTenant('preview');
    const accountId = await connectedAccount(auth);
    const preview = await open(auth, { provider: 'hibob' });
    expect(preview).toMatchObject({ accountAction: 'update', accountId });
    const done = await completeSession(preview.authLinkUrl);
    expect([done.action, done.accountId]).toEqual(['updated', accountId]);
    expect(await settled(auth, preview.sessionId)).toMatchObject({ status: 'completed', accountId, accountAction: 'update' });
  });

  it('a completed category session shows the provider the customer connected, read alone and listed', async () => {
    const auth = await freshTenant('category');
    const hris = await open(auth, { categories: ['hris'] });
    const done = await completeSession(hris.authLinkUrl, { provider: 'bamboohr' });
    expect(done.action).toBe('created');
    const expected = { sessionId: hris.sessionId, status: 'completed', provider: 'bamboohr', categories: ['hris'], accountId: done.accountId, accountAction: 'create' };
    expect(await settled(auth, hris.sessionId)).toMatchObject(expected);
    const listed = (await svc.http().get('/v1/connect-sessions?status=completed').set('Authorization', auth).expect(200)).body as { data: unknown[] };
    expect(listed.data).toEqual([expect.objectContaining(expected)]);
  });

  it("refuses a re-link naming another provider than the account's with 400 naming both, before StackOne is asked", async () => {
    const auth = await freshTenant('mismatch');
    const accountId = await connectedAccount(auth);
    const creations = (): number => sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/connect_sessions').length;
    const before = creations();
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ accountId, provider: 'bamboohr' }).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toEqual(expect.stringContaining('hibob'));
    expect(res.body.detail).toEqual(expect.stringContaining('bamboohr'));
    expect(res.body.errors).toEqual([{ field: 'provider', message: expect.stringContaining('hibob') }]);
    expect(creations()).toBe(before);
  });
}

describe('the connection loop through the sandbox (sessions and mirror in memory)', () => {
  connectionLoop(() => ({}));
});

describeWithRedis('the connection loop through the sandbox (sessions, mirror and dedupe in Redis)', () => {
  connectionLoop(() => ({ REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix() }));
});
