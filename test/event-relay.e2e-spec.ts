import { Webhook } from 'standardwebhooks';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { bearer } from './support/jwt';
import { newWebhookSecret, TestSubscriber } from './support/event-subscriber';
import { counterValue } from './support/metrics';
import { startStackOneStandIn, StackOneStandIn } from './support/stackone-stand-in';
import { accountWebhook, postStackOneWebhook } from './support/stackone-webhook';

const STACKONE_SECRET = 'whsec_relay_e2e_stackone_5b1e';

/**
 * The relay without Redis (the in-process queue): the real app takes StackOne's webhooks and
 * delivers the events to real HTTP subscribers, which verify them with the standardwebhooks library.
 */
describe('events relayed to subscribers (in-process queue)', () => {
  let standIn: StackOneStandIn;
  let all: TestSubscriber;
  let deletions: TestSubscriber;
  let otherTenant: TestSubscriber;
  let svc: TestService;
  let base: string;

  const metric = async (name: string, labels: Record<string, string>): Promise<number> => counterValue((await svc.http().get('/metrics')).text, name, labels);

  beforeAll(async () => {
    standIn = await startStackOneStandIn();
    [all, deletions, otherTenant] = await Promise.all([TestSubscriber.start(), TestSubscriber.start(), TestSubscriber.start()]);
    svc = await startService(standIn.url, {
      STACKONE_WEBHOOK_SECRET: STACKONE_SECRET,
      EVENT_SUBSCRIBERS: JSON.stringify([
        { name: 'all', url: all.url, secret: all.secret },
        { name: 'deletions', url: deletions.url, secret: deletions.secret, events: ['account.deleted'] },
        { name: 'other-tenant', url: otherTenant.url, secret: otherTenant.secret, tenants: ['org_other'] },
      ]),
      EVENT_DELIVERY_BASE_DELAY_MS: '50',
      EVENT_DELIVERY_MAX_ATTEMPTS: '4',
      EVENT_DELIVERY_TIMEOUT_MS: '500',
    });
    base = (await svc.listen()).base;
  });
  beforeEach(() => {
    for (const s of [all, deletions, otherTenant]) {
      s.deliveries.length = 0;
      s.answerAlways(undefined);
    }
    svc.logs.clear();
  });
  afterAll(async () => {
    await svc?.close();
    await Promise.all([all, deletions, otherTenant, standIn].map((s) => s?.close()));
  });

  it('delivers an account event signed per Standard Webhooks, body { type, timestamp, data } without credentials', async () => {
    const event = accountWebhook();
    expect((await postStackOneWebhook(base, STACKONE_SECRET, event)).status).toBe(200);
    const [delivery] = await all.waitFor(1);
    expect(delivery.verified).toEqual({
      type: 'account.created',
      timestamp: event.event_date,
      data: { tenantId: 'org_acme', tenantName: 'Acme Inc', accountId: event.account_id, provider: 'hibob' },
    });
    expect(delivery.webhookId).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(Math.abs(Number(delivery.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(delivery.raw).not.toContain('jane@acme.example');
    expect(delivery.raw).not.toContain('proj_e2e');
    // A forged copy does not verify: the check above can fail.
    expect(() => new Webhook(newWebhookSecret()).verify(delivery.raw, { 'webhook-id': delivery.webhookId, 'webhook-timestamp': delivery.timestamp, 'webhook-signature': delivery.signature })).toThrow();
  });

  it('filters by event type and tenant', async () => {
    const created = accountWebhook();
    const deleted = accountWebhook({ event: 'account.deleted' });
    const other = accountWebhook({ origin_owner_id: 'org_other', origin_owner_name: 'Other' });
    for (const e of [created, deleted, other]) expect((await postStackOneWebhook(base, STACKONE_SECRET, e)).status).toBe(200);
    await all.waitFor(3);
    await deletions.waitFor(1);
    await otherTenant.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(all.deliveries.map((d) => d.verified?.data.accountId)).toEqual([created.account_id, deleted.account_id, other.account_id]);
    expect(deletions.deliveries.map((d) => [d.verified?.type, d.verified?.data.accountId])).toEqual([['account.deleted', deleted.account_id]]);
    expect(otherTenant.deliveries.map((d) => [d.verified?.data.tenantId, d.verified?.data.accountId])).toEqual([['org_other', other.account_id]]);
  });

  it('retries failures (5xx, a redirect, a timeout) with the same webhook-id until a 2xx, never following the redirect', async () => {
    const before = await metric('event_deliveries_total', { subscriber: 'all', outcome: 'delivered' });
    all.answer(500, 302, 'hang', 200);
    const event = accountWebhook();
    expect((await postStackOneWebhook(base, STACKONE_SECRET, event)).status).toBe(200);
    const seen = await all.waitFor(4);
    await new Promise((r) => setTimeout(r, 300));
    expect(all.deliveries.map((d) => d.status)).toEqual([500, 302, 0, 200]);
    expect(all.deliveries.map((d) => d.path)).toEqual(Array(4).fill('/hooks/events'));
    expect(new Set(seen.map((d) => d.webhookId)).size).toBe(1);
    expect(seen.every((d) => d.verified?.data.accountId === event.account_id)).toBe(true);
    // Each retry waits longer than the last (base 50 ms, doubling, ±20 %); the timeout took 500 ms.
    expect(seen[1].at - seen[0].at).toBeGreaterThanOrEqual(35);
    expect(seen[2].at - seen[1].at).toBeGreaterThanOrEqual(75);
    const metrics = (await svc.http().get('/metrics')).text;
    expect(counterValue(metrics, 'event_deliveries_total', { subscriber: 'all', outcome: 'delivered' })).toBe(before + 1);
    for (const result of ['5xx', '3xx', 'timeout', '2xx']) expect(counterValue(metrics, 'event_delivery_attempts_total', { subscriber: 'all', result })).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/event_delivery_latency_seconds_count\{subscriber="all"\} [1-9]/);
  });

  it('dead-letters after the last attempt, with a metric and a log line of ids only', async () => {
    const before = await metric('event_dead_letters_total', { subscriber: 'all' });
    all.answerAlways(503);
    const event = accountWebhook({ origin_owner_name: 'Secretive Ltd' });
    expect((await postStackOneWebhook(base, STACKONE_SECRET, event)).status).toBe(200);
    const attempts = await all.waitFor(4);
    const deadline = Date.now() + 5_000;
    while ((await metric('event_dead_letters_total', { subscriber: 'all' })) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(await metric('event_dead_letters_total', { subscriber: 'all' })).toBe(before + 1);
    await new Promise((r) => setTimeout(r, 400));
    expect(all.deliveries).toHaveLength(4);
    const line = svc.logs.text().split('\n').find((l) => l.includes('dead-lettered'));
    expect(line).toContain(`Delivery ${attempts[0].webhookId} (account.created, tenant org_acme) to all dead-lettered after 4 attempts`);
    expect(svc.logs.text()).not.toContain('Secretive Ltd');
    expect(svc.logs.text()).not.toContain(all.secret);
  });

  it('documents the event types and body in the API docs', async () => {
    const doc = (await svc.http().get('/docs-json')).body;
    expect(doc.components.schemas.RelayEventDto.properties.type.enum).toEqual([
      'account.created',
      'account.updated',
      'account.deleted',
      'account.broken',
      'account.recovered',
      'connect_session.completed',
      'connect_session.expired',
    ]);
    expect(doc.components.schemas.RelayEventDto.properties.data.allOf ?? [doc.components.schemas.RelayEventDto.properties.data]).toEqual(
      expect.arrayContaining([expect.objectContaining({ $ref: '#/components/schemas/FeedEventDataDto' })]),
    );
    expect(doc.info.description).toContain('webhook-signature');
    expect(doc.paths['/webhooks/stackone'].post.responses).toHaveProperty('503');
  });
});

/**
 * StackOne's webhook completes a session, but the completion cannot be queued (the in-process queue
 * is full): 503, and StackOne's retry queues the completion although the session is already completed.
 */
describe('a session completion that could not be queued, delivered on StackOne retry', () => {
  let sandbox: Sandbox;
  let subscriber: TestSubscriber;
  let svc: TestService;
  let base: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    subscriber = await TestSubscriber.start();
    svc = await startService(sandbox.url, {
      STACKONE_WEBHOOK_SECRET: STACKONE_SECRET,
      EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'sync', url: subscriber.url, secret: subscriber.secret }]),
      EVENT_DELIVERY_MEMORY_MAX_JOBS: '2',
      EVENT_DELIVERY_CONCURRENCY: '1',
      EVENT_DELIVERY_BASE_DELAY_MS: '50',
      EVENT_DELIVERY_TIMEOUT_MS: '1000',
    });
    base = (await svc.listen()).base;
  });
  afterAll(async () => {
    await svc?.close();
    await subscriber?.close();
    await sandbox?.close();
  });

  it('answers 503 while the queue is full, then queues both the account event and the completion on the retry', async () => {
    // A delivery the subscriber holds for a while and one waiting behind it fill the queue (bound 2, one at a time).
    subscriber.answer('hang');
    for (let i = 0; i < 2; i++) expect((await postStackOneWebhook(base, STACKONE_SECRET, accountWebhook({ origin_owner_id: 'org_filler' }))).status).toBe(200);
    await subscriber.waitFor(1);

    const auth = await bearer({ org_id: 'org_relay', org_name: 'Relay Ltd' });
    const session = await svc.http().post('/v1/connect-sessions').set('authorization', auth).send({ provider: 'hibob' });
    expect(session.status).toBe(201);
    const event = accountWebhook({ origin_owner_id: 'org_relay', origin_owner_name: 'Relay Ltd', provider: 'hibob' });
    const refused = await postStackOneWebhook(base, STACKONE_SECRET, event);
    expect([refused.status, refused.headers.get('retry-after')]).toEqual([503, '5']);
    // The session itself was completed: the completion is what the retry must still deliver.
    const status = await svc.http().get(`/v1/connect-sessions/${String(session.body.sessionId)}`).set('authorization', auth);
    expect(status.body.status).toBe('completed');

    // The held delivery times out, the other is delivered, then the first on its retry: the queue is empty again.
    await subscriber.waitFor(3);
    await new Promise((r) => setTimeout(r, 100));
    const retried = await postStackOneWebhook(base, STACKONE_SECRET, event);
    expect([retried.status, await retried.json()]).toEqual([200, { outcome: 'accepted' }]);
    const mine = await subscriber.waitFor(2, (d) => d.verified?.data.tenantId === 'org_relay' && d.status === 204);
    expect(mine.map((d) => d.verified?.type).sort()).toEqual(['account.created', 'connect_session.completed']);
    expect(mine.find((d) => d.verified?.type === 'connect_session.completed')?.verified?.data).toMatchObject({
      sessionId: session.body.sessionId,
      accountId: event.account_id,
      status: 'completed',
    });
    // Queued again, not logged again: the feed lists the completion once (the account event once per delivery taken in).
    const feed = await svc.http().get('/v1/events').set('authorization', auth).expect(200);
    expect((feed.body as { data: Array<{ type: string }> }).data.map((e) => e.type)).toEqual(['account.created', 'connect_session.completed', 'account.created']);
  });
});
