import { createHmac, randomUUID } from 'node:crypto';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { bearer as signedBearer } from './support/jwt';
import { ServiceProcess, startServiceProcess } from './support/processes';
import { cleanUpRedisKeys, describeWithRedis, redisTestPrefix, redisUrl } from './support/redis';

const SECRET = 'replica-test-secret-0123456789-abcdef';
const KEY = 'sk_replica_stackone_key';

const bearer = (org: string): Promise<string> => signedBearer({ org_id: org, org_name: org.toUpperCase() }, { secret: SECRET });

/**
 * Two service processes (dist/main.js) on one real Redis, behind no balancer: the test alternates
 * between them like one would. Limits and idempotency must hold across both.
 */
describeWithRedis('two replicas sharing Redis', () => {
  let sandbox: Sandbox;
  let replicas: ServiceProcess[];

  async function start(env: Record<string, string>): Promise<ServiceProcess[]> {
    const common = {
      STACKONE_API_KEY: KEY,
      STACKONE_BASE_URL: sandbox.url,
      AUTH_JWT_SECRET: SECRET,
      REDIS_URL: redisUrl as string,
      REDIS_KEY_PREFIX: redisTestPrefix(),
      ...env,
    };
    return Promise.all([startServiceProcess(common), startServiceProcess(common)]);
  }

  const post = (replica: ServiceProcess, auth: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${replica.url}/v1/connect-sessions`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const sessionCalls = (): number => sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/connect_sessions').length;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: KEY });
  });
  afterEach(async () => {
    await Promise.all((replicas ?? []).map((r) => r.stop()));
    sandbox.reset();
    await cleanUpRedisKeys();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('share one per-tenant limit, and one tenant exhausting it does not throttle another', async () => {
    replicas = await start({ RATE_LIMIT_PER_TENANT: '4' });
    const a = await bearer('org_a');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await post(replicas[i % 2], a, { categories: ['hris'] })).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
    const limited = await post(replicas[0], a, {});
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await post(replicas[1], await bearer('org_b'), {})).status).toBe(201);
  }, 30_000);

  it('share one idempotency store: a retry on the other replica replays without calling StackOne', async () => {
    replicas = await start({});
    const a = await bearer('org_a');
    const key = randomUUID();
    const first = await post(replicas[0], a, { provider: 'hibob' }, { 'idempotency-key': key });
    const second = await post(replicas[1], a, { provider: 'hibob' }, { 'idempotency-key': key });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as { token: string }).token).toBe(((await first.json()) as { token: string }).token);
    expect(sessionCalls()).toBe(1);
    const other = await post(replicas[1], a, { provider: 'greenhouse' }, { 'idempotency-key': key });
    expect(other.status).toBe(422);

    // Concurrent duplicates on both replicas: still one StackOne call.
    sandbox.injectFault({ path: '/connect_sessions', delayMs: 300, count: 1 });
    const key2 = randomUUID();
    const both = await Promise.all([post(replicas[0], a, {}, { 'idempotency-key': key2 }), post(replicas[1], a, {}, { 'idempotency-key': key2 })]);
    expect(both.map((r) => r.status)).toEqual([201, 201]);
    expect(sessionCalls()).toBe(2);
  }, 30_000);

  it("share session records: a session created on one replica reads and lists on the other, another tenant's is 404", async () => {
    replicas = await start({});
    const a = await bearer('org_a');
    const created = await post(replicas[0], a, { provider: 'hibob', label: 'shared' });
    const { sessionId } = (await created.json()) as { sessionId: string };
    const get = (replica: ServiceProcess, auth: string, path: string): Promise<Response> => fetch(`${replica.url}${path}`, { headers: { authorization: auth } });
    const read = await get(replicas[1], a, `/v1/connect-sessions/${sessionId}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ sessionId, status: 'pending', provider: 'hibob', label: 'shared' });
    const listed = (await (await get(replicas[1], a, '/v1/connect-sessions')).json()) as { data: Array<{ sessionId: string }> };
    expect(listed.data.map((s) => s.sessionId)).toEqual([sessionId]);
    expect((await get(replicas[1], await bearer('org_b'), `/v1/connect-sessions/${sessionId}`)).status).toBe(404);
  }, 30_000);

  it('share one outbound StackOne budget', async () => {
    replicas = await start({ STACKONE_RATE_LIMIT_PER_MINUTE: '3', STACKONE_MAX_RETRY_AFTER_MS: '0' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(replicas[i % 2], await bearer(`org_${i}`), { categories: ['ats'] })).status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(sessionCalls()).toBe(3);
  }, 30_000);

  it('give each tenant a share of the StackOne budget: one tenant flooding both replicas leaves room for another', async () => {
    replicas = await start({ STACKONE_RATE_LIMIT_PER_MINUTE: '10', STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '4', STACKONE_MAX_RETRY_AFTER_MS: '0' });
    const flood = await bearer('org_flood');
    const flooded: number[] = [];
    for (let i = 0; i < 10; i++) flooded.push((await post(replicas[i % 2], flood, { categories: ['ats'] })).status);
    // The ceiling is one count in Redis: four sessions in all, not four per replica.
    expect(flooded).toEqual([201, 201, 201, 201, 429, 429, 429, 429, 429, 429]);
    const refused = await post(replicas[0], flood, {});
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    expect(await refused.json()).toMatchObject({ type: expect.stringContaining('tenant-upstream-budget') });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    const quiet = await bearer('org_quiet');
    const served: number[] = [];
    for (let i = 0; i < 4; i++) served.push((await post(replicas[i % 2], quiet, { categories: ['ats'] })).status);
    expect(served).toEqual([201, 201, 201, 201]);
    expect(sessionCalls()).toBe(8);
  }, 30_000);
  it('de-duplicate one StackOne webhook delivery across both: processed by one, a duplicate on the other', async () => {
    const webhookSecret = 'whsec_replicas_3b9c0e17d2';
    replicas = await start({ STACKONE_WEBHOOK_SECRET: webhookSecret });
    const now = new Date().toISOString();
    const raw = JSON.stringify({ event: 'account.created', account_id: `acc_${randomUUID()}`, provider: 'hibob', origin_owner_id: 'org_a', event_date: now, sent_at: now });
    const signature = createHmac('sha256', webhookSecret).update(raw).digest('base64url');
    const deliver = async (replica: ServiceProcess): Promise<unknown> => {
      const res = await fetch(`${replica.url}/webhooks/stackone`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-stackone-signature': signature }, body: raw });
      return [res.status, await res.json()];
    };
    expect(await deliver(replicas[0])).toEqual([200, { outcome: 'accepted' }]);
    expect(await deliver(replicas[1])).toEqual([200, { outcome: 'duplicate' }]);
    // Concurrent copies on both: still exactly one processes it.
    const raw2 = raw.replace('"org_a"', '"org_b"');
    const signature2 = createHmac('sha256', webhookSecret).update(raw2).digest('base64url');
    const both = await Promise.all(
      replicas.map(async (r) => {
        const res = await fetch(`${r.url}/webhooks/stackone`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-stackone-signature': signature2 }, body: raw2 });
        return ((await res.json()) as { outcome: string }).outcome;
      }),
    );
    expect(both.sort()).toEqual(['accepted', 'duplicate']);
  }, 30_000);
});
