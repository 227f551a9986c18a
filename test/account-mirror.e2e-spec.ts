import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { AccountEvent } from '../src/account-events/account-event';
import { EventBus } from '../src/event-bus/event-bus';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from './support/redis';

const WEBHOOKS = { STACKONE_WEBHOOK_SECRET: 'whsec_e2e_mirror_0123456789', RATE_LIMIT_PER_TENANT: '10000' };
const tenant = (org: string): Promise<string> => bearer({ org_id: org, org_name: org.toUpperCase(), email: `admin@${org}.example` });

/** What the webhook route publishes for a StackOne delivery (the route itself is tested with it). */
const accountEvent = (type: AccountEvent['type'], accountId: string, tenantId: string, provider = 'hibob'): AccountEvent => ({
  type,
  accountId,
  provider,
  tenantId,
  occurredAt: new Date().toISOString(),
  receivedAt: new Date().toISOString(),
});

describe('the account mirror: the accountAction preview without a StackOne look-up', () => {
  let sandbox: Sandbox;
  const services: TestService[] = [];

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((s) => s.close()));
    sandbox.reset();
  });
  afterAll(async () => {
    await cleanUpRedisKeys();
    await sandbox?.close();
  });

  async function boot(env: Record<string, string>): Promise<TestService> {
    const svc = await startService(sandbox.url, env);
    services.push(svc);
    return svc;
  }
  const preview = async (svc: TestService, auth: string, body: Record<string, unknown>): Promise<Record<string, unknown>> =>
    (await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body).expect(201)).body as Record<string, unknown>;
  // The preview's look-ups are list calls; the single-account reads after account events are account health's.
  const lookups = (): number => sandbox.requests.filter((r) => r.method === 'GET' && r.path.split('?')[0] === '/accounts').length;
  const sessionCalls = (): number => sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/connect_sessions').length;

  it('asks StackOne for the first preview only; events then move it to update and back to create, with no look-up', async () => {
    const svc = await boot(WEBHOOKS);
    const a = await tenant('org_mirror_a');
    const first = await preview(svc, a, { provider: 'hibob' });
    expect(first).toMatchObject({ accountAction: 'create' });
    expect(lookups()).toBe(1);

    // The customer completes the hosted page; StackOne's webhook reports the account.
    const { accountId } = await completeSession(first.authLinkUrl as string);
    await svc.app.get(EventBus).publish(accountEvent('account.created', accountId as string, 'org_mirror_a'));
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'update', accountId });
    expect(lookups()).toBe(1);

    // Deleted in StackOne's dashboard: the webhook says so.
    await svc.app.get(EventBus).publish(accountEvent('account.deleted', accountId as string, 'org_mirror_a'));
    const third = await preview(svc, a, { provider: 'hibob' });
    expect(third).toMatchObject({ accountAction: 'create' });
    expect(third).not.toHaveProperty('accountId');
    expect(lookups()).toBe(1);
    // One StackOne call per session from the second on: the creation.
    expect(sessionCalls()).toBe(3);

    // `multiple` never needs a look-up, mirror or not; another provider is its own entry.
    expect(await preview(svc, a, { provider: 'hibob', multiple: true })).toMatchObject({ accountAction: 'create' });
    expect(lookups()).toBe(1);
    await preview(svc, a, { provider: 'greenhouse' });
    expect(lookups()).toBe(2);
  });

  it("keeps tenants apart: another owner's event and accounts never reach this tenant's preview", async () => {
    const svc = await boot(WEBHOOKS);
    const a = await tenant('org_mirror_a');
    const b = await tenant('org_mirror_b');
    const session = await preview(svc, b, { provider: 'hibob' });
    const { accountId } = await completeSession(session.authLinkUrl as string);
    await svc.app.get(EventBus).publish(accountEvent('account.created', accountId as string, 'org_mirror_b'));
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
    await svc.app.get(EventBus).publish(accountEvent('account.created', 'acc_of_b', 'org_mirror_b'));
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
    expect(await preview(svc, b, { provider: 'hibob' })).toMatchObject({ accountAction: 'update', accountId: 'acc_of_b' });
  });

  it('learns from the accounts API: a delete through the service turns the next preview to create without a look-up', async () => {
    const svc = await boot(WEBHOOKS);
    const a = await tenant('org_mirror_c');
    const session = await preview(svc, a, { provider: 'hibob' });
    const { accountId } = await completeSession(session.authLinkUrl as string);
    // A list answer shows the account the mirror had as "none" (say its webhook was lost).
    await svc.http().get('/v1/accounts').set('Authorization', a).expect(200);
    expect(lookups()).toBe(2);
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'update', accountId });
    await svc.http().delete(`/v1/accounts/${accountId as string}`).set('Authorization', a).expect(204);
    const before = lookups();
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
    expect(lookups()).toBe(before);
  });

  it('without webhooks configured, every preview asks StackOne as before', async () => {
    const svc = await boot({ RATE_LIMIT_PER_TENANT: '10000' });
    const a = await tenant('org_mirror_d');
    await preview(svc, a, { provider: 'hibob' });
    await svc.app.get(EventBus).publish(accountEvent('account.created', 'acc_x', 'org_mirror_d'));
    expect(await preview(svc, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
    await preview(svc, a, { provider: 'hibob' });
    expect(lookups()).toBe(3);
  });

  describeWithRedis('on Redis', () => {
    it('two replicas share the mirror: one looks up, an event reaches the other, neither asks again', async () => {
      const env = { ...WEBHOOKS, REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix() };
      const [one, two] = [await boot(env), await boot(env)];
      const a = await tenant('org_mirror_e');
      expect(await preview(one, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
      expect(await preview(two, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
      expect(lookups()).toBe(1);
      await one.app.get(EventBus).publish(accountEvent('account.created', 'acc_shared', 'org_mirror_e'));
      expect(await preview(two, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'update', accountId: 'acc_shared' });
      await two.app.get(EventBus).publish(accountEvent('account.deleted', 'acc_shared', 'org_mirror_e'));
      expect(await preview(one, a, { provider: 'hibob' })).toMatchObject({ accountAction: 'create' });
      expect(lookups()).toBe(1);
    });
  });
});
