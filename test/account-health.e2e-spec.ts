import { setTimeout as sleep } from 'node:timers/promises';
import { AccountHealthService } from '../src/account-health/account-health.service';
import { AccountReconciler } from '../src/account-health/account-reconciler';
import { startService, TestService } from './support/app';
import { acmeBearer, globexBearer } from './support/account-events';
import { counterValue } from './support/metrics';
import { startStackOneStandIn, StackOneStandIn } from './support/stackone-stand-in';
import { standInAccounts, StandInAccounts } from './support/stand-in-accounts';
import { accountWebhook, postStackOneWebhook } from './support/stackone-webhook';
import { bearer as signedBearer } from './support/jwt';
import { ServiceProcess, startServiceProcess } from './support/processes';
import { TestSubscriber } from './support/event-subscriber';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from './support/redis';

const SECRET = 'whsec-account-health-e2e-0123456789';

interface FeedPage {
  data: Array<{ id: string; type: string; timestamp: string; data: Record<string, unknown> }>;
}

describe('account health (service against a scripted StackOne stand-in)', () => {
  let standIn: StackOneStandIn;
  let stackone: StandInAccounts;
  let svc: TestService;
  let base: string;
  let acme: string;
  let globex: string;
  let subscriber: TestSubscriber;

  beforeAll(async () => {
    stackone = standInAccounts();
    standIn = await startStackOneStandIn({ fallback: stackone.handler() });
    subscriber = await TestSubscriber.start();
    svc = await startService(standIn.url, {
      RATE_LIMIT_PER_TENANT: '10000',
      STACKONE_WEBHOOK_SECRET: SECRET,
      EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'health', url: subscriber.url, secret: subscriber.secret, events: ['account.broken', 'account.recovered'] }]),
      EVENT_DELIVERY_BASE_DELAY_MS: '50',
    });
    base = (await svc.listen()).base;
    acme = await acmeBearer();
    globex = await globexBearer();
  });
  afterAll(async () => {
    await svc?.close();
    await standIn?.close();
    await subscriber?.close();
  });
  beforeEach(() => {
    subscriber.deliveries.length = 0;
    stackone.accounts.clear();
    standIn.reset();
  });

  const feed = async (auth: string): Promise<FeedPage['data']> => ((await svc.http().get('/v1/events').set('Authorization', auth).expect(200)).body as FeedPage).data;
  const healthEvents = async (auth: string, accountId: string): Promise<FeedPage['data']> =>
    (await feed(auth)).filter((e) => e.type.startsWith('account.') && ['account.broken', 'account.recovered'].includes(e.type) && e.data.accountId === accountId);
  /** A StackOne account webhook for the account, then the service's read of it is awaited. */
  async function webhook(accountId: string, event = 'account.updated', owner = 'org_acme'): Promise<void> {
    const res = await postStackOneWebhook(base, SECRET, accountWebhook({ event, account_id: accountId, origin_owner_id: owner, origin_owner_name: owner === 'org_acme' ? 'Acme Inc' : 'Globex' }));
    expect(res.status).toBe(200);
    await svc.app.get(AccountHealthService).settled();
  }

  it("shows every account's health (states, since, reasons) and lists one state with ?health=, nothing of the credentials", async () => {
    stackone.add({ id: 'acc_ok' });
    stackone.add({ id: 'acc_err', status: 'error', status_reasons: [{ code: 'invalid_credentials', description: 'The API key was revoked', timestamp: '2026-11-20T08:00:00.000Z' }] });
    stackone.add({ id: 'acc_exp', status: 'expired' });
    stackone.add({ id: 'acc_sus', status: 'suspended' });
    stackone.add({ id: 'acc_new', status: 'quarantined' });
    stackone.add({ id: 'acc_odd', provider: 'not_in_catalogue' });
    stackone.add({ id: 'acc_globex', status: 'error', origin_owner_id: 'org_globex', origin_owner_name: 'Globex' });

    const all = (await svc.http().get('/v1/accounts').set('Authorization', acme).expect(200)).body as { data: Array<Record<string, unknown> & { id: string; health: { state: string; since: string; reasons: unknown[] } }> };
    expect(Object.fromEntries(all.data.map((a) => [a.id, a.health.state]))).toEqual({ acc_ok: 'healthy', acc_err: 'broken', acc_exp: 'broken', acc_sus: 'paused', acc_new: 'unknown', acc_odd: 'healthy' });
    const err = all.data.find((a) => a.id === 'acc_err');
    expect(err?.health).toEqual({ state: 'broken', since: '2026-11-20T08:00:00.000Z', reasons: [{ code: 'invalid_credentials', description: 'The API key was revoked' }] });
    expect(Date.parse(all.data.find((a) => a.id === 'acc_exp')?.health.since ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect(JSON.stringify(all)).not.toContain('secret-credential-never-shown');
    expect(all.data.find((a) => a.id === 'acc_new')?.status).toBe('quarantined');

    const broken = (await svc.http().get('/v1/accounts?health=broken').set('Authorization', acme).expect(200)).body as { data: Array<{ id: string }> };
    expect(broken.data.map((a) => a.id).sort()).toEqual(['acc_err', 'acc_exp']);
    expect(standIn.seen.at(-1)?.url).toContain('status=error&status=expired');
    const some = (await svc.http().get('/v1/accounts?health=paused&health=unknown').set('Authorization', acme).expect(200)).body as { data: Array<{ id: string }> };
    expect(some.data.map((a) => a.id).sort()).toEqual(['acc_new', 'acc_sus']);

    const one = (await svc.http().get('/v1/accounts/acc_err').set('Authorization', acme).expect(200)).body as { health: unknown };
    expect(one.health).toEqual(err?.health);

    const bad = await svc.http().get('/v1/accounts?health=sick').set('Authorization', acme).expect(400);
    expect(bad.headers['content-type']).toMatch(/problem\+json/);
    expect(bad.body.errors).toEqual([{ field: 'health', message: 'each health must be one of: healthy, broken, paused, unknown' }]);

    // What the reads learned was announced to acme: two breaks; globex's broken account is not acme's.
    expect((await feed(acme)).filter((e) => e.type === 'account.broken').map((e) => e.data.accountId).sort()).toEqual(['acc_err', 'acc_exp']);
    expect(await feed(globex)).toEqual([]);

    // The gauge: accounts by state and provider, a provider outside the catalogue as 'other'
    // (labels come from the cached catalogue, fetched here).
    await svc.http().get('/v1/providers').set('Authorization', acme).expect(200);
    const metrics = (await svc.http().get('/metrics')).text;
    const gauge = (state: string, provider: string): number => counterValue(metrics, 'accounts_by_health', { state, provider });
    expect([gauge('broken', 'hibob'), gauge('healthy', 'hibob'), gauge('paused', 'hibob'), gauge('unknown', 'hibob'), gauge('healthy', 'other')]).toEqual([2, 1, 1, 1, 1]);
    expect(metrics).not.toContain('not_in_catalogue');
  });

  it('after account.updated the account is read once: a break is one account.broken with its reasons, retries and repeats add none, recovery follows; another tenant sees nothing', async () => {
    stackone.add({ id: 'acc_1' });
    await webhook('acc_1', 'account.created');
    expect(standIn.seen.filter((r) => r.url === '/accounts/acc_1')).toHaveLength(1);
    expect(await healthEvents(acme, 'acc_1')).toEqual([]);

    stackone.setStatus('acc_1', 'error', [{ code: 'token_expired', description: 'The OAuth token expired', timestamp: '2026-11-25T09:00:00.000Z' }]);
    await webhook('acc_1');
    await webhook('acc_1'); // StackOne's retry, a new delivery of the same news
    const broken = await healthEvents(acme, 'acc_1');
    expect(broken).toEqual([
      {
        id: expect.any(String),
        type: 'account.broken',
        timestamp: '2026-11-25T09:00:00.000Z',
        data: {
          tenantId: 'org_acme',
          tenantName: 'Acme Inc',
          accountId: 'acc_1',
          provider: 'hibob',
          status: 'error',
          reasons: [{ code: 'token_expired', description: 'The OAuth token expired' }],
          providerIncident: false,
        },
      },
    ]);

    stackone.setStatus('acc_1', 'active', []);
    await webhook('acc_1');
    await webhook('acc_1');
    const events = await healthEvents(acme, 'acc_1');
    expect(events.map((e) => e.type)).toEqual(['account.broken', 'account.recovered']);
    expect(events[1].data).toEqual({ tenantId: 'org_acme', tenantName: 'Acme Inc', accountId: 'acc_1', provider: 'hibob', brokenSince: '2026-11-25T09:00:00.000Z', brokenForSeconds: expect.any(Number) });
    expect(await feed(globex)).toEqual([]);

    // A subscriber filtering for the two types gets them, signed, and no account.created / updated.
    const delivered = await subscriber.waitFor(2, (d) => d.verified?.data.accountId === 'acc_1');
    expect(delivered.map((d) => d.verified?.type).sort()).toEqual(['account.broken', 'account.recovered']);
    expect(subscriber.deliveries.map((d) => d.verified?.type).filter((t) => t !== 'account.broken' && t !== 'account.recovered')).toEqual([]);

    const metrics = (await svc.http().get('/metrics')).text;
    expect(counterValue(metrics, 'account_health_transitions_total', { to: 'broken', provider: 'hibob' })).toBeGreaterThanOrEqual(1);
    expect(counterValue(metrics, 'account_broken_duration_seconds_count')).toBeGreaterThanOrEqual(1);
  });

  it('re-link to recovery: a re-link that completes while the account stays broken shows on it; the next one that repairs it is counted recovered', async () => {
    const relinks = async (outcome: string): Promise<number> => counterValue((await svc.http().get('/metrics')).text, 'relink_sessions_total', { outcome });
    const before = { created: await relinks('created'), completed: await relinks('completed'), recovered: await relinks('recovered') };
    stackone.add({ id: 'acc_rl', status: 'expired', status_reasons: [{ code: 'token_expired', timestamp: '2026-11-27T08:00:00.000Z' }] });
    await svc.http().get('/v1/accounts/acc_rl').set('Authorization', acme).expect(200);

    await svc.http().post('/v1/connect-sessions').set('Authorization', acme).send({ accountId: 'acc_rl' }).expect(201);
    await webhook('acc_rl'); // the customer went through the hub, but the provider still refuses
    const still = (await svc.http().get('/v1/accounts/acc_rl').set('Authorization', acme).expect(200)).body as { health: Record<string, unknown> };
    expect(still.health).toMatchObject({ state: 'broken', relinkedAt: expect.any(String) });

    await svc.http().post('/v1/connect-sessions').set('Authorization', acme).send({ accountId: 'acc_rl' }).expect(201);
    stackone.setStatus('acc_rl', 'active', []);
    await webhook('acc_rl');
    const after = (await svc.http().get('/v1/accounts/acc_rl').set('Authorization', acme).expect(200)).body as { health: Record<string, unknown> };
    expect(after.health).not.toHaveProperty('relinkedAt');
    expect((await healthEvents(acme, 'acc_rl')).map((e) => e.type)).toEqual(['account.broken', 'account.recovered']);
    expect({ created: await relinks('created'), completed: await relinks('completed'), recovered: await relinks('recovered') }).toEqual({
      created: before.created + 2,
      completed: before.completed + 2,
      recovered: before.recovered + 1,
    });
  });

  it("an account event naming another owner than StackOne's account is ignored; a failed read is logged and left (the webhook is still taken)", async () => {
    stackone.add({ id: 'acc_g', status: 'error', origin_owner_id: 'org_globex', origin_owner_name: 'Globex' });
    await webhook('acc_g', 'account.updated', 'org_acme');
    expect(await healthEvents(acme, 'acc_g')).toEqual([]);
    expect(await healthEvents(globex, 'acc_g')).toEqual([]);

    await webhook('acc_missing');
    await sleep(10);
    expect(svc.logs.text()).toContain('Account acc_missing of tenant org_acme not read after its event');
  });
});

describeWithRedis('account health on two replicas sharing Redis', () => {
  const JWT = 'account-health-replicas-secret-0123456789';
  const KEY = 'sk_health_replicas_key';
  let standIn: StackOneStandIn;
  let stackone: StandInAccounts;
  let replicas: ServiceProcess[] = [];

  beforeAll(async () => {
    stackone = standInAccounts();
    standIn = await startStackOneStandIn({ fallback: stackone.handler() });
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await standIn?.close();
    await cleanUpRedisKeys();
  });

  const reads = (id: string): number => standIn.seen.filter((r) => r.url === `/accounts/${id}`).length;
  async function until(what: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await what()) return;
    throw new Error('condition not met in time');
  }

  it('one transition is one event however many replicas and deliveries see it', async () => {
    const env = { STACKONE_API_KEY: KEY, STACKONE_BASE_URL: standIn.url, AUTH_JWT_SECRET: JWT, REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix(), STACKONE_WEBHOOK_SECRET: SECRET, RATE_LIMIT_PER_TENANT: '10000' };
    replicas = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    const auth = await signedBearer({ org_id: 'org_acme', org_name: 'Acme Inc' }, { secret: JWT });
    const feed = async (): Promise<FeedPage['data']> =>
      ((await (await fetch(`${replicas[0].url}/v1/events`, { headers: { authorization: auth } })).json()) as FeedPage).data.filter((e) => e.type === 'account.broken' || e.type === 'account.recovered');
    stackone.add({ id: 'acc_r', status: 'error', status_reasons: [{ code: 'revoked', timestamp: '2026-11-26T10:00:00.000Z' }] });

    // Two deliveries of the news (StackOne's retry is a new sent_at, so not a duplicate), one per
    // replica, at once, and a read of the account on each.
    const deliveries = replicas.flatMap((r, i) => [
      postStackOneWebhook(r.url, SECRET, accountWebhook({ event: 'account.updated', account_id: 'acc_r', sent_at: new Date(Date.now() - i * 1000).toISOString() })),
      fetch(`${r.url}/v1/accounts/acc_r`, { headers: { authorization: auth } }),
    ]);
    expect((await Promise.all(deliveries)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await until(() => reads('acc_r') >= 4);
    await until(async () => (await feed()).length > 0);
    await sleep(300);
    expect((await feed()).map((e) => [e.type, e.data.accountId])).toEqual([['account.broken', 'acc_r']]);

    stackone.setStatus('acc_r', 'active', []);
    await Promise.all(replicas.map((r) => fetch(`${r.url}/v1/accounts?health=healthy`, { headers: { authorization: auth } })));
    await until(async () => (await feed()).length > 1);
    await sleep(300);
    expect((await feed()).map((e) => e.type)).toEqual(['account.broken', 'account.recovered']);
  }, 60_000);
});

describe('the reconciliation sweep (short interval, no Redis: this process sweeps)', () => {
  let standIn: StackOneStandIn;
  let stackone: StandInAccounts;
  let svc: TestService;
  let acme: string;

  beforeAll(async () => {
    stackone = standInAccounts();
    standIn = await startStackOneStandIn({ fallback: stackone.handler() });
    svc = await startService(standIn.url, { RATE_LIMIT_PER_TENANT: '10000', STACKONE_WEBHOOK_SECRET: SECRET, ACCOUNT_RECONCILE_INTERVAL_SECONDS: '1', ACCOUNT_RECONCILE_PAGE_PAUSE_MS: '0' });
    acme = await acmeBearer();
  });
  afterAll(async () => {
    await svc?.close();
    await standIn?.close();
  });

  async function until(what: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await what()) return;
    throw new Error('condition not met in time');
  }
  const brokenIn = async (auth: string): Promise<unknown[]> =>
    ((await svc.http().get('/v1/events').set('Authorization', auth).expect(200)).body as FeedPage).data.filter((e) => e.type === 'account.broken').map((e) => e.data.accountId);
  /** The next full round of the timer: started after this call, finished. */
  async function nextRound(): Promise<void> {
    const reconciler = svc.app.get(AccountReconciler);
    await reconciler.round(); // one running now, or a fresh one
    const rounds = svc.logs.text().split('Reconciliation round done').length;
    await until(() => svc.logs.text().split('Reconciliation round done').length > rounds);
  }

  it('finds a break no webhook announced, and a creation whose webhook never came (the preview turns from create to update)', async () => {
    stackone.add({ id: 'acc_quiet' });
    // Another tenant's accounts fill the pages: 1,000 accounts in all.
    for (let i = 0; i < 999; i++) stackone.add({ id: `acc_other_${i}`, origin_owner_id: `org_other_${i % 7}`, origin_owner_name: 'Other' });
    await nextRound();
    expect(await brokenIn(acme)).toEqual([]);

    // What a round costs: pages of 100, and one more page that comes back short to end it.
    expect(await svc.app.get(AccountReconciler).round()).toEqual({ swept: true, pages: 11, accounts: 1000, complete: true, mirrorEntriesDropped: 0 });

    // StackOne breaks the account; no webhook comes.
    stackone.setStatus('acc_quiet', 'error', [{ code: 'insufficient_permissions', description: 'The token lacks a scope', timestamp: '2026-11-28T07:00:00.000Z' }]);
    await until(async () => (await brokenIn(acme)).length > 0);
    await nextRound();
    expect(await brokenIn(acme)).toEqual(['acc_quiet']);
    expect(await brokenIn(await globexBearer())).toEqual([]);

    // The mirror says "none for greenhouse"; the account is created, its webhook lost.
    const preview = async (): Promise<Record<string, unknown>> =>
      (await svc.http().post('/v1/connect-sessions').set('Authorization', acme).send({ provider: 'greenhouse' }).expect(201)).body as Record<string, unknown>;
    expect(await preview()).toMatchObject({ accountAction: 'create' });
    stackone.add({ id: 'acc_gh', provider: 'greenhouse', created_at: new Date(Date.now() - 1000).toISOString() });
    expect(await preview()).toMatchObject({ accountAction: 'create' }); // the mirror, unaware
    await nextRound();
    expect(await preview()).toMatchObject({ accountAction: 'update', accountId: 'acc_gh' });

    // An account deleted without its webhook leaves accounts_by_health with the next round.
    const brokenGauge = async (): Promise<number> => counterValue((await svc.http().get('/metrics')).text, 'accounts_by_health', { state: 'broken', provider: 'hibob' });
    expect(await brokenGauge()).toBe(1);
    stackone.accounts.delete('acc_quiet');
    await nextRound();
    expect(await brokenGauge()).toBe(0);
  }, 60_000);
});

describe('provider incidents (no Redis: counted in this process)', () => {
  let standIn: StackOneStandIn;
  let stackone: StandInAccounts;
  let svc: TestService;

  beforeAll(async () => {
    stackone = standInAccounts();
    standIn = await startStackOneStandIn({ fallback: stackone.handler() });
    svc = await startService(standIn.url, { RATE_LIMIT_PER_TENANT: '10000' });
  });
  afterAll(async () => {
    await svc?.close();
    await standIn?.close();
  });

  it('the break that makes 5 accounts of 3 tenants within the window, and those after it, carry providerIncident: true; the gauge and a log line show it', async () => {
    const orgs = { org_acme: await acmeBearer(), org_globex: await globexBearer(), org_initech: await signedBearer({ org_id: 'org_initech', org_name: 'Initech' }) };
    const order: Array<[keyof typeof orgs, string]> = [
      ['org_acme', 'inc_a1'],
      ['org_acme', 'inc_a2'],
      ['org_globex', 'inc_g1'],
      ['org_globex', 'inc_g2'],
      ['org_initech', 'inc_i1'],
      ['org_acme', 'inc_a3'],
    ];
    for (const [org, id] of order) stackone.add({ id, status: 'error', origin_owner_id: org, origin_owner_name: org });
    await svc.http().get('/v1/providers').set('Authorization', orgs.org_acme).expect(200); // the catalogue behind the gauge's labels
    stackone.add({ id: 'inc_other', provider: 'greenhouse', status: 'error', origin_owner_id: 'org_initech', origin_owner_name: 'Initech' });
    for (const [org, id] of order) await svc.http().get(`/v1/accounts/${id}`).set('Authorization', orgs[org]).expect(200);
    await svc.http().get('/v1/accounts/inc_other').set('Authorization', orgs.org_initech).expect(200);

    const flags: Record<string, unknown> = {};
    for (const auth of Object.values(orgs)) {
      const events = ((await svc.http().get('/v1/events').set('Authorization', auth).expect(200)).body as FeedPage).data;
      for (const e of events) if (e.type === 'account.broken') flags[String(e.data.accountId)] = e.data.providerIncident;
    }
    expect(flags).toEqual({ inc_a1: false, inc_a2: false, inc_g1: false, inc_g2: false, inc_i1: true, inc_a3: true, inc_other: false });
    const metrics = (await svc.http().get('/metrics')).text;
    expect(counterValue(metrics, 'provider_incidents_open', { provider: 'hibob' })).toBe(1);
    expect(counterValue(metrics, 'provider_incidents_open', { provider: 'greenhouse' })).toBe(0);
    expect(svc.logs.text()).toContain('Provider incident started: hibob (5 accounts of 3 tenants');
  });
});
