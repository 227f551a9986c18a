import { createHmac } from 'node:crypto';
import { AccountEvent } from '../src/account-events/account-event';
import { EventBus } from '../src/event-bus/event-bus';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';
import { counterValue } from './support/metrics';
import { accountWebhook, signStackOneWebhook } from './support/stackone-webhook';

const SECRET = 'whsec_e2e_current_7c1d0a9b3f';
const OLD_SECRET = 'whsec_e2e_previous_52e8aa14';
const sign = signStackOneWebhook;
const payload = accountWebhook;

/** Subscribes a recording handler to the app's bus, as the session-status and mirror features do. */
function record(svc: TestService): AccountEvent[] {
  const seen: AccountEvent[] = [];
  svc.app.get(EventBus).subscribe('e2e-recorder', ['account.created', 'account.updated', 'account.deleted'], (event) => {
    seen.push(event);
    return Promise.resolve('taken');
  });
  return seen;
}

describe('POST /webhooks/stackone (StackOne webhooks in)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let seen: AccountEvent[];
  /** Where the service listens, for the sandbox's webhooks. */
  let base: string;

  const deliver = (raw: string, signature?: string, contentType = 'application/json') => {
    const req = svc.http().post('/webhooks/stackone').set('content-type', contentType);
    if (signature !== undefined) req.set('x-stackone-signature', signature);
    return req.send(raw);
  };
  const metric = async (event: string, outcome: string): Promise<number> =>
    counterValue((await svc.http().get('/metrics')).text, 'stackone_webhooks_received_total', { event, outcome });

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { STACKONE_WEBHOOK_SECRET: `${SECRET},${OLD_SECRET}`, STACKONE_WEBHOOK_MAX_AGE_SECONDS: '300' });
    seen = record(svc);
    base = (await svc.listen()).base;
  });
  beforeEach(() => {
    seen.length = 0;
    svc.logs.clear();
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  it('accepts a signed account event without a tenant credential, publishes it once, camelCase, and counts it', async () => {
    const before = await metric('account.created', 'accepted');
    const body = payload();
    const raw = JSON.stringify(body);
    const res = await deliver(raw, sign(SECRET, raw));
    expect([res.status, res.body]).toEqual([200, { outcome: 'accepted' }]);
    expect(seen).toEqual([
      {
        type: 'account.created',
        accountId: body.account_id,
        provider: 'hibob',
        tenantId: 'org_acme',
        tenantName: 'Acme Inc',
        username: 'jane@acme.example',
        projectId: 'proj_e2e',
        occurredAt: body.event_date,
        receivedAt: expect.any(String),
      },
    ]);
    expect(await metric('account.created', 'accepted')).toBe(before + 1);
    expect(svc.logs.text()).toContain(`StackOne webhook account.created for account ${String(body.account_id)} (hibob) accepted`);
  });

  it('is in the API docs, with its signature header and the ack outcomes', async () => {
    const doc = (await svc.http().get('/docs-json')).body;
    const op = doc.paths['/webhooks/stackone'].post;
    expect(op.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'x-stackone-signature', in: 'header' })]));
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '404']));
  });

  it('verifies the exact bytes: white space and key order as sent, not as re-serialised', async () => {
    const raw = `{ "sent_at" : "${new Date().toISOString()}",\n  "event":"account.updated","account_id":"acc_spaced","provider":"hibob","origin_owner_id":"org_acme" }`;
    const res = await deliver(raw, sign(SECRET, raw));
    expect([res.status, res.body]).toEqual([200, { outcome: 'accepted' }]);
    expect(seen.map((e) => [e.type, e.accountId])).toEqual([['account.updated', 'acc_spaced']]);
  });

  it('accepts the previous secret while rotating (a comma list)', async () => {
    const raw = JSON.stringify(payload({ event: 'account.deleted' }));
    expect((await deliver(raw, sign(OLD_SECRET, raw))).body).toEqual({ outcome: 'accepted' });
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['forged', (raw: string) => sign('whsec_attacker', raw).replace(/^./, 'A')],
    ['missing', () => undefined],
    ["another endpoint's secret", (raw: string) => sign('whsec_some_other_endpoint', raw)],
    ['made over other bytes', (raw: string) => sign(SECRET, `${raw} `)],
    ['hex instead of base64url', (raw: string) => createHmac('sha256', SECRET).update(raw).digest('hex')],
  ])('refuses a %s signature with 401 problem+json, publishes nothing and never logs the signature', async (_what, signatureFor) => {
    const before = await metric('unknown', 'invalid-signature');
    const raw = JSON.stringify(payload());
    const signature = signatureFor(raw);
    const res = await deliver(raw, signature);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 401, detail: expect.stringContaining('x-stackone-signature') });
    expect(seen).toEqual([]);
    expect(await metric('unknown', 'invalid-signature')).toBe(before + 1);
    const logs = svc.logs.text();
    if (signature) expect(logs).not.toContain(signature);
    expect(logs).not.toContain(SECRET);
  });

  it('processes the same delivery once: a second POST of it is acknowledged as a duplicate', async () => {
    const raw = JSON.stringify(payload());
    const signature = sign(SECRET, raw);
    const before = await metric('account.created', 'duplicate');
    const first = await deliver(raw, signature);
    const second = await deliver(raw, signature);
    expect([first.body, second.status, second.body]).toEqual([{ outcome: 'accepted' }, 200, { outcome: 'duplicate' }]);
    expect(seen).toHaveLength(1);
    expect(await metric('account.created', 'duplicate')).toBe(before + 1);
  });

  it('acknowledges and ignores event types it does not handle', async () => {
    const raw = JSON.stringify({ event: 'hris_employees.updated', account_id: 'acc_1', sent_at: new Date().toISOString() });
    const before = await metric('other', 'ignored');
    const res = await deliver(raw, sign(SECRET, raw));
    expect([res.status, res.body]).toEqual([200, { outcome: 'ignored' }]);
    expect(seen).toEqual([]);
    expect(await metric('other', 'ignored')).toBe(before + 1);
  });

  it.each([
    // Computed when the test runs: the window is measured from then.
    ['older than the window (a replay)', () => ({ sent_at: new Date(Date.now() - 310_000).toISOString() })],
    ['further ahead than the window', () => ({ sent_at: new Date(Date.now() + 310_000).toISOString() })],
    ['missing', () => ({ sent_at: undefined })],
    ['not a date', () => ({ sent_at: 'last tuesday' })],
  ])('acknowledges and ignores a delivery whose sent_at is %s', async (_what, over) => {
    const raw = JSON.stringify(payload(over()));
    const before = await metric('account.created', 'stale');
    const res = await deliver(raw, sign(SECRET, raw));
    expect([res.status, res.body]).toEqual([200, { outcome: 'stale' }]);
    expect(seen).toEqual([]);
    expect(await metric('account.created', 'stale')).toBe(before + 1);
  });

  it.each([
    ['an object without an event', '{"type":"account.created"}'],
    ['an account event without its owner', JSON.stringify(payload({ origin_owner_id: undefined }))],
    ['an account event whose account_id is a number', JSON.stringify(payload({ account_id: 46132201 }))],
  ])('refuses a signed body that is %s with 400 problem+json', async (_what, raw) => {
    const res = await deliver(raw, sign(SECRET, raw));
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(seen).toEqual([]);
  });

  it('refuses what is not JSON (400), other media types (415) and bodies over the limit (413), as problem+json', async () => {
    const notJson = '{"event": account.created';
    expect((await deliver(notJson, sign(SECRET, notJson))).status).toBe(400);
    const array = '[{"event":"account.created"}]';
    expect((await deliver(array, sign(SECRET, array))).status).toBe(400);
    const text = JSON.stringify(payload());
    const media = await deliver(text, sign(SECRET, text), 'text/plain');
    expect([media.status, media.headers['content-type']]).toEqual([415, expect.stringMatching(/problem\+json/)]);
    const huge = JSON.stringify(payload({ padding: 'x'.repeat(20_000) }));
    expect((await deliver(huge, sign(SECRET, huge))).status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('takes the signed events the sandbox sends when its hosted page and its API create, update and delete accounts', async () => {
    const hooked = await createSandbox({ apiKey: TEST_STACKONE_KEY, webhook: { url: `${base}/webhooks/stackone`, secret: SECRET } });
    const app = await startService(hooked.url, {});
    try {
      const auth = await bearer({ org_id: 'org_hooked', org_name: 'Hooked Ltd', email: 'ann@hooked.example' });
      const session = await app.http().post('/v1/connect-sessions').set('authorization', auth).send({ provider: 'hibob' });
      expect(session.status).toBe(201);
      const done = await completeSession(session.body.authLinkUrl as string);
      expect([done.status, done.action]).toEqual([200, 'created']);
      // The page waited for the delivery: the service has the event by the time the page answers.
      expect(seen.map((e) => [e.type, e.accountId, e.provider, e.tenantId, e.tenantName])).toEqual([
        ['account.created', done.accountId, 'hibob', 'org_hooked', 'Hooked Ltd'],
      ]);
      expect((await app.http().patch(`/v1/accounts/${String(done.accountId)}`).set('authorization', auth).send({ label: 'HR' })).status).toBe(200);
      expect((await app.http().delete(`/v1/accounts/${String(done.accountId)}`).set('authorization', auth)).status).toBeLessThan(300);
      await hooked.webhooksSettled();
      expect(seen.map((e) => e.type)).toEqual(['account.created', 'account.updated', 'account.deleted']);
      expect(hooked.webhooks.map((d) => [d.event, d.status])).toEqual([
        ['account.created', 200],
        ['account.updated', 200],
        ['account.deleted', 200],
      ]);
    } finally {
      await app.close();
      await hooked.close();
    }
  });

  it("the sandbox's webhook faults: twice (processed once), a wrong signature (401), an old sent_at (ignored), late", async () => {
    const hooked = await createSandbox({ apiKey: TEST_STACKONE_KEY, webhook: { url: `${base}/webhooks/stackone`, secret: SECRET }, log: () => undefined });
    const app = await startService(hooked.url, {});
    const auth = await bearer({ org_id: 'org_faults', org_name: 'Faults Ltd' });
    const connect = async (provider: string): Promise<string> => {
      const session = await app.http().post('/v1/connect-sessions').set('authorization', auth).send({ provider, multiple: true });
      const done = await completeSession(session.body.authLinkUrl as string);
      await hooked.webhooksSettled();
      return done.accountId as string;
    };
    try {
      hooked.injectFault({ webhook: { duplicate: true } });
      const twice = await connect('hibob');
      expect(hooked.webhooks.map((d) => d.status)).toEqual([200, 200]);
      expect(seen.map((e) => e.accountId)).toEqual([twice]);

      hooked.injectFault({ webhook: { wrongSignature: true } });
      await connect('bamboohr');
      hooked.injectFault({ webhook: { sentAtAgeSeconds: 600 } });
      await connect('personio');
      expect(hooked.webhooks.slice(2).map((d) => d.status)).toEqual([401, 200]);
      expect(seen).toHaveLength(1);

      hooked.injectFault({ webhook: { delayMs: 1_500 } });
      const started = Date.now();
      const late = await connect('greenhouse');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
      expect(seen.map((e) => e.accountId)).toEqual([twice, late]);
    } finally {
      await app.close();
      await hooked.close();
    }
  });
});

describe('POST /webhooks/stackone without STACKONE_WEBHOOK_SECRET', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, {});
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  it('answers 404 problem+json: the route is off, never "accept unsigned"', async () => {
    const seen = record(svc);
    const raw = JSON.stringify(payload());
    for (const signature of [undefined, sign('', raw), sign(SECRET, raw)]) {
      const req = svc.http().post('/webhooks/stackone').set('content-type', 'application/json');
      const res = await (signature ? req.set('x-stackone-signature', signature) : req).send(raw);
      expect([res.status, res.headers['content-type']]).toEqual([404, expect.stringMatching(/^application\/problem\+json/)]);
    }
    expect(seen).toEqual([]);
  });
});
