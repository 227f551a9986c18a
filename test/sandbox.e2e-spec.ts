import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createSandbox, RECORDED_OTHER_CREDENTIAL, RECORDED_SANDBOX_KEY, Sandbox } from '../sandbox/sandbox';
import { completeSession } from './support/hosted-page';
import { freePort, launchNode } from './support/processes';
import { basicAuth } from './support/stackone-stand-in';
import { signStackOneWebhook } from './support/stackone-webhook';

const KEY = 'sandbox-e2e-key';
const basic = basicAuth(KEY);

describe("the sandbox's connect-session ids", () => {
  const createSession = async (sandbox: Sandbox): Promise<number> => {
    const res = await fetch(`${sandbox.url}/connect_sessions`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ origin_owner_id: 'org_ids', origin_owner_name: 'Ids Inc', provider: 'hibob' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };

  it('are numbers that grow within a run and are not reused by a sandbox started after it (with Redis, an old session "1" was read as the new one)', async () => {
    const first = await createSandbox({ apiKey: KEY });
    let firstRun: number[];
    try {
      firstRun = [await createSession(first), await createSession(first)];
    } finally {
      await first.close();
    }
    // The sandbox restarted: a new one, as `npm run start:sandbox` would start again.
    await new Promise((r) => setTimeout(r, 2));
    const second = await createSandbox({ apiKey: KEY });
    try {
      const secondRun = await createSession(second);
      expect(firstRun.every((id) => Number.isSafeInteger(id))).toBe(true);
      expect(firstRun[1]).toBeGreaterThan(firstRun[0]);
      expect(firstRun).not.toContain(secondRun);
      expect(secondRun).toBeGreaterThan(firstRun[1]);
    } finally {
      await second.close();
    }
  });
});

describe('the StackOne sandbox, as a newcomer meets it', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: KEY });
  });
  afterEach(() => sandbox.reset());
  afterAll(async () => {
    await sandbox.close();
  });

  it("serves every connector's logo_url as a PNG, a different one per provider", async () => {
    const meta = (await (await fetch(`${sandbox.url}/connectors/meta`, { headers: { authorization: basic } })).json()) as {
      provider: string;
      resources: { images: { logo_url: string } };
    }[];
    expect(meta.length).toBeGreaterThan(1);
    const bodies = new Set<string>();
    for (const m of meta) {
      const res = await fetch(m.resources.images.logo_url);
      expect([m.provider, res.status, res.headers.get('content-type')]).toEqual([m.provider, 200, 'image/png']);
      const png = Buffer.from(await res.arrayBuffer());
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([32, 32]);
      bodies.add(png.toString('base64'));
    }
    expect(bodies.size).toBe(meta.length);
    expect((await fetch(`${sandbox.url}/__sandbox/logos/not-a-provider.png`)).status).toBe(404);
  });

  it('records which credential a request carried, never its value (a real StackOne key sent here by mistake stays private)', async () => {
    const realKey = basicAuth('sk_live_real_stackone_key_by_mistake');
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: realKey } })).status).toBe(401);
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).status).toBe(200);
    const listed = await (await fetch(`${sandbox.url}/__sandbox/requests`)).text();
    expect(sandbox.requests.map((r) => r.headers.authorization)).toEqual([RECORDED_OTHER_CREDENTIAL, RECORDED_SANDBOX_KEY]);
    for (const secret of [realKey, basic, realKey.slice('Basic '.length), basic.slice('Basic '.length)]) expect(listed).not.toContain(secret);
  });

  it('answers /favicon.ico without asking for the API key, and does not record it as an API call', async () => {
    const res = await fetch(`${sandbox.url}/favicon.ico`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(sandbox.requests).toEqual([]);
  });

  it.each([{ connectionReset: true }, { reset: true }])('drops the connection for the fault %j (reset is the old name)', async (fault) => {
    const injected = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/accounts', ...fault }),
    });
    expect(injected.status).toBe(204);
    await expect(fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).rejects.toThrow();
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).status).toBe(200);
  });
});

describe('npm run start:sandbox (dist-sandbox/sandbox/main.js)', () => {
  async function banner(env: Record<string, string>): Promise<string> {
    const sandbox = await launchNode([join(__dirname, '..', 'dist-sandbox', 'sandbox', 'main.js')], {
      env: { SANDBOX_PORT: String(await freePort()), ...env },
      readyOutput: /control API/,
    });
    await sandbox.stop();
    await sandbox.closed;
    return sandbox.output();
  }

  it('says which API key it accepts by default', async () => {
    expect(await banner({})).toContain('accepts API key: sandbox-api-key (the default; SANDBOX_API_KEY sets another)');
  }, 30_000);

  it('says where it sends webhooks without echoing the secret, and refuses a URL without a secret', async () => {
    const out = await banner({ SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9/webhooks/stackone', SANDBOX_WEBHOOK_SECRET: 'whsec_banner_secret_1234' });
    expect(out).toContain('sends signed account webhooks to http://127.0.0.1:9/webhooks/stackone');
    expect(out).not.toContain('whsec_banner_secret_1234');
    expect(await banner({})).toContain('sends no webhooks');
    const refused = await launchNode([join(__dirname, '..', 'dist-sandbox', 'sandbox', 'main.js')], { env: { SANDBOX_PORT: String(await freePort()), SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9/x' } });
    expect(await refused.closed).toBe(1);
    expect(refused.output()).toContain('SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET go together');
  }, 30_000);

  it('does not echo a key chosen with SANDBOX_API_KEY', async () => {
    const out = await banner({ SANDBOX_API_KEY: 'my-chosen-sandbox-key' });
    expect(out).toContain('accepts API key: the value of SANDBOX_API_KEY');
    expect(out).not.toContain('my-chosen-sandbox-key');
  }, 30_000);
});

/** A webhook endpoint on a free loopback port: keeps each POST's raw body and signature header. */
async function startReceiver(): Promise<{ url: string; received: { raw: string; signature: string | undefined }[]; close: () => Promise<void> }> {
  const received: { raw: string; signature: string | undefined }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signature = req.headers['x-stackone-signature'];
      received.push({ raw: Buffer.concat(chunks).toString('utf8'), signature: typeof signature === 'string' ? signature : undefined });
      res.writeHead(200).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/webhooks/stackone`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('account status in the sandbox: the controls, a provider outage, a re-link', () => {
  const SECRET = 'whsec_sandbox_status_e2e';
  let sandbox: Sandbox;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const json = { authorization: basic, 'content-type': 'application/json' };

  beforeAll(async () => {
    receiver = await startReceiver();
    sandbox = await createSandbox({ apiKey: KEY, webhook: { url: receiver.url, secret: SECRET } });
  });
  afterEach(async () => {
    await sandbox.webhooksSettled();
    sandbox.reset();
    receiver.received.length = 0;
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  interface WireAccount {
    id: string;
    provider: string;
    status: string;
    status_reasons: { code?: string; description?: string; timestamp: string }[];
    created_at: string;
    updated_at: string;
  }

  /** A session for `owner` (with `extra` fields), completed on the hosted page; the account id. */
  async function connect(owner: string, provider: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers: json, body: JSON.stringify({ origin_owner_id: owner, origin_owner_name: owner, provider, ...extra }) });
    expect(res.status).toBe(201);
    const done = await completeSession(((await res.json()) as { auth_link_url: string }).auth_link_url);
    expect(done.status).toBe(200);
    await sandbox.webhooksSettled();
    return done.accountId as string;
  }
  const account = async (id: string): Promise<WireAccount> => (await (await fetch(`${sandbox.url}/accounts/${id}`, { headers: json })).json()) as WireAccount;
  const control = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(`${sandbox.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const out = { status: res.status, json: (await res.json()) as Record<string, unknown> };
    await sandbox.webhooksSettled();
    return out;
  };
  /** The webhooks received since the last call, each checked against StackOne's signature with the endpoint's secret. */
  const takeWebhooks = (): Record<string, unknown>[] => {
    const all = receiver.received.splice(0);
    for (const w of all) expect(w.signature).toBe(signStackOneWebhook(SECRET, w.raw));
    return all.map((w) => JSON.parse(w.raw) as Record<string, unknown>);
  };
  const later = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

  it('gives a new account status active, no reasons, created_at and updated_at, as StackOne’s LinkedAccount', async () => {
    const id = await connect('org_s', 'hibob');
    const a = await account(id);
    expect(a).toMatchObject({ status: 'active', status_reasons: [] });
    expect(new Date(a.created_at).toISOString()).toBe(a.created_at);
    expect(a.updated_at).toBe(a.created_at);
  });

  it('sets a status and reasons, sending the signed account.updated (no status in it, as StackOne’s), and GET /accounts filters by status', async () => {
    const id = await connect('org_s', 'hibob');
    const other = await connect('org_s', 'personio');
    const before = await account(id);
    takeWebhooks();
    await later();

    const res = await control('POST', `/__sandbox/accounts/${id}/status`, { status: 'expired', reasons: [{ code: 'token_expired', description: 'The refresh token was revoked' }] });
    expect([res.status, res.json.changed, res.json.webhook]).toEqual([200, true, true]);
    const hooks = takeWebhooks();
    expect(hooks).toEqual([expect.objectContaining({ event: 'account.updated', account_id: id, record_type: 'account', record_id: id, provider: 'hibob', origin_owner_id: 'org_s' })]);
    expect(hooks[0]).not.toHaveProperty('status');

    const after = await account(id);
    expect(after.status).toBe('expired');
    expect(after.status_reasons).toEqual([{ code: 'token_expired', description: 'The refresh token was revoked', timestamp: expect.any(String) }]);
    expect(Date.parse(after.status_reasons[0].timestamp)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(after.created_at).toBe(before.created_at);

    const list = async (query: string): Promise<string[]> =>
      ((await (await fetch(`${sandbox.url}/accounts?${query}`, { headers: json })).json()) as WireAccount[]).map((a) => a.id).sort();
    expect(await list('status=expired')).toEqual([id]);
    expect(await list('status=active')).toEqual([other]);
    expect(await list('status=expired&status=active')).toEqual([id, other].sort());
    expect(await list('status=error')).toEqual([]);
  });

  it('with webhook false changes the status and updated_at silently: a lost webhook', async () => {
    const id = await connect('org_s', 'hibob');
    const before = await account(id);
    takeWebhooks();
    await later();
    const res = await control('POST', `/__sandbox/accounts/${id}/status`, { status: 'error', reasons: [{ code: 'insufficient_permissions' }], webhook: false });
    expect([res.status, res.json.changed, res.json.webhook]).toEqual([200, true, false]);
    const after = await account(id);
    expect([after.status, after.status_reasons.map((r) => r.code)]).toEqual(['error', ['insufficient_permissions']]);
    expect(Date.parse(after.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(takeWebhooks()).toEqual([]);
    expect(sandbox.webhooks.filter((w) => w.accountId === id && w.event === 'account.updated')).toEqual([]);
  });

  it('sends nothing when the status and reasons are what the account already has, and resets to active with DELETE', async () => {
    const id = await connect('org_s', 'hibob');
    const broken = { status: 'expired', reasons: [{ code: 'token_expired' }] };
    await control('POST', `/__sandbox/accounts/${id}/status`, broken);
    takeWebhooks();
    const stamped = (await account(id)).updated_at;
    const again = await control('POST', `/__sandbox/accounts/${id}/status`, broken);
    expect([again.status, again.json.changed]).toEqual([200, false]);
    expect((await account(id)).updated_at).toBe(stamped);
    expect(takeWebhooks()).toEqual([]);

    await later();
    const reset = await control('DELETE', `/__sandbox/accounts/${id}/status`);
    expect([reset.status, reset.json.changed, reset.json.webhook]).toEqual([200, true, true]);
    expect(await account(id)).toMatchObject({ status: 'active', status_reasons: [] });
    expect(Date.parse((await account(id)).updated_at)).toBeGreaterThan(Date.parse(stamped));
    expect(takeWebhooks().map((w) => [w.event, w.account_id])).toEqual([['account.updated', id]]);

    await control('POST', `/__sandbox/accounts/${id}/status`, { status: 'suspended', webhook: false });
    expect((await control('DELETE', `/__sandbox/accounts/${id}/status`, { webhook: false })).json.changed).toBe(true);
    expect((await account(id)).status).toBe('active');
    expect(takeWebhooks()).toEqual([]);
  });

  it.each([
    ['no status', {}, 'status must be a lower-case word'],
    ['a status that is no word', { status: 'Not Active!' }, 'status must be a lower-case word'],
    ['webhook as a string', { status: 'error', webhook: 'false' }, 'webhook must be true or false'],
    ['a reason with neither code nor description', { status: 'error', reasons: [{}] }, 'each reason needs a code or a description'],
    ['reasons not an array', { status: 'error', reasons: { code: 'x' } }, 'reasons must be an array of at most 10'],
    ['a bad timestamp', { status: 'error', reasons: [{ code: 'x', timestamp: 'yesterday' }] }, "a reason's timestamp must be an ISO date-time"],
    ['a misspelt field', { status: 'error', reason: [{ code: 'x' }] }, 'unknown field reason (allowed: status, reasons, webhook)'],
  ])('refuses a status body with %s (400, one message), changing nothing', async (_what, body, message) => {
    const id = await connect('org_s', 'hibob');
    takeWebhooks();
    const res = await control('POST', `/__sandbox/accounts/${id}/status`, body);
    expect([res.status, res.json.message]).toEqual([400, expect.stringContaining(message)]);
    expect((await account(id)).status).toBe('active');
    expect(takeWebhooks()).toEqual([]);
  });

  it('answers 404 for an unknown account, and takes a status StackOne may add later as it is', async () => {
    expect((await control('POST', '/__sandbox/accounts/nope/status', { status: 'error' })).status).toBe(404);
    const id = await connect('org_s', 'hibob');
    await control('POST', `/__sandbox/accounts/${id}/status`, { status: 'degraded', reasons: [{ code: 'rate_limited', timestamp: '2026-12-01T10:00:00Z' }] });
    expect(await account(id)).toMatchObject({ status: 'degraded', status_reasons: [{ code: 'rate_limited', timestamp: '2026-12-01T10:00:00.000Z' }] });
  });

  it('a provider outage breaks every account of that provider, one signed account.updated each, and its end restores them', async () => {
    const a1 = await connect('org_a', 'hibob');
    const a2 = await connect('org_b', 'hibob');
    const a3 = await connect('org_c', 'hibob');
    const personio = await connect('org_a', 'personio');
    takeWebhooks();

    const started = await control('POST', '/__sandbox/faults/provider-outage', { provider: 'hibob', status: 'error', reasons: [{ code: 'provider_5xx', description: 'HiBob answers 503' }] });
    expect(started.status).toBe(201);
    expect((started.json.accountIds as string[]).sort()).toEqual([a1, a2, a3].sort());
    const hooks = takeWebhooks();
    expect(hooks.map((w) => [w.event, w.provider])).toEqual(Array(3).fill(['account.updated', 'hibob']));
    expect(hooks.map((w) => w.account_id).sort()).toEqual([a1, a2, a3].sort());
    for (const id of [a1, a2, a3]) expect(await account(id)).toMatchObject({ status: 'error', status_reasons: [{ code: 'provider_5xx', description: 'HiBob answers 503' }] });
    expect((await account(personio)).status).toBe('active');
    expect((await control('GET', '/__sandbox/faults/provider-outage')).json).toEqual([expect.objectContaining({ provider: 'hibob', status: 'error' })]);
    expect((await control('POST', '/__sandbox/faults/provider-outage', { provider: 'hibob' })).status).toBe(409);

    // One customer re-links during the outage (its account is active again): the end leaves it alone.
    await connect('org_c', 'hibob', { account_id: a3 });
    expect((await account(a3)).status).toBe('active');
    takeWebhooks();

    const ended = await control('DELETE', '/__sandbox/faults/provider-outage/hibob');
    expect(ended.status).toBe(200);
    expect((ended.json.accountIds as string[]).sort()).toEqual([a1, a2].sort());
    expect(takeWebhooks().map((w) => w.account_id).sort()).toEqual([a1, a2].sort());
    for (const id of [a1, a2, a3]) expect(await account(id)).toMatchObject({ status: 'active', status_reasons: [] });
    expect((await control('GET', '/__sandbox/faults/provider-outage')).json).toEqual([]);
    expect((await control('DELETE', '/__sandbox/faults/provider-outage/hibob')).status).toBe(404);
  });

  it('a provider outage with webhook false breaks the accounts silently; an unknown provider is refused', async () => {
    const a1 = await connect('org_a', 'greenhouse');
    takeWebhooks();
    const started = await control('POST', '/__sandbox/faults/provider-outage', { provider: 'greenhouse', webhook: false });
    expect([started.status, started.json.webhook]).toEqual([201, false]);
    expect(await account(a1)).toMatchObject({ status: 'error', status_reasons: [{ code: 'provider_unavailable', description: expect.stringContaining('Greenhouse') }] });
    expect(takeWebhooks()).toEqual([]);
    await control('DELETE', '/__sandbox/faults/provider-outage/greenhouse', { webhook: false });
    expect((await account(a1)).status).toBe('active');
    expect(takeWebhooks()).toEqual([]);
    const unknown = await control('POST', '/__sandbox/faults/provider-outage', { provider: 'nope' });
    expect([unknown.status, unknown.json.message]).toEqual([400, expect.stringContaining("provider must be one of this sandbox's providers")]);
  });

  it.each(['error', 'expired'])('a re-link (a session with account_id, completed) of an %s account makes it active, clears its reasons, and sends account.updated', async (status) => {
    const id = await connect('org_r', 'hibob');
    await control('POST', `/__sandbox/accounts/${id}/status`, { status, reasons: [{ code: 'token_expired' }], webhook: false });
    takeWebhooks();
    await connect('org_r', 'hibob', { account_id: id });
    expect(await account(id)).toMatchObject({ status: 'active', status_reasons: [] });
    expect(takeWebhooks().map((w) => [w.event, w.account_id])).toEqual([['account.updated', id]]);
  });

  it.each(['suspended', 'inactive'])('a re-link of a %s account updates its credentials but does not un-pause it (an operator’s action)', async (status) => {
    const id = await connect('org_r', 'hibob');
    await control('POST', `/__sandbox/accounts/${id}/status`, { status, reasons: [{ description: 'Paused in the dashboard' }], webhook: false });
    await connect('org_r', 'hibob', { account_id: id });
    expect(await account(id)).toMatchObject({ status, status_reasons: [{ description: 'Paused in the dashboard' }] });
  });
});

describe("the sandbox's connect sessions on StackOne's current contract", () => {
  let sandbox: Sandbox;
  const json = { authorization: basic, 'content-type': 'application/json' };
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: KEY });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const create = async (extra: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const res = await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers: json, body: JSON.stringify({ origin_owner_id: 'org_cp', origin_owner_name: 'CP Inc', ...extra }) });
    expect(res.status).toBe(201);
    return (await res.json()) as Record<string, unknown>;
  };
  const authenticate = async (token: unknown): Promise<Record<string, unknown>> =>
    (await (await fetch(`${sandbox.url}/connect_sessions/authenticate`, { method: 'POST', headers: json, body: JSON.stringify({ token }) })).json()) as Record<string, unknown>;

  it('answers organization_id as a string, and stores and echoes connector_profile_id (create and authenticate)', async () => {
    const session = await create({ provider: 'hibob', connector_profile_id: 'cp_hibob_v2' });
    expect(typeof session.organization_id).toBe('string');
    expect(session.connector_profile_id).toBe('cp_hibob_v2');
    const authed = await authenticate(session.token);
    expect([authed.connector_profile_id, typeof authed.organization_id]).toEqual(['cp_hibob_v2', 'string']);
    expect((await create({})).connector_profile_id).toBeNull();
  });

  it("takes StackOne's deprecated integration_id as connector_profile_id, and refuses a non-string one", async () => {
    expect((await create({ integration_id: 'cp_old' })).connector_profile_id).toBe('cp_old');
    const res = await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers: json, body: JSON.stringify({ origin_owner_id: 'o', origin_owner_name: 'O', connector_profile_id: 5 }) });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([400, 'connector_profile_id must be a string']);
  });

  it('says no webhook was sent for a status change when no webhook URL is configured', async () => {
    const session = await create({ provider: 'calcom' });
    const done = await completeSession(session.auth_link_url as string);
    const res = await fetch(`${sandbox.url}/__sandbox/accounts/${String(done.accountId)}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ status: 'error' }) });
    expect(await res.json()).toMatchObject({ changed: true, webhook: false, account: { status: 'error' } });
    expect(sandbox.webhooks).toEqual([]);
  });

  it('offers connectors in the scheduling category', async () => {
    const meta = (await (await fetch(`${sandbox.url}/connectors/meta`, { headers: json })).json()) as { provider: string; category: string }[];
    expect(meta.filter((m) => m.category === 'scheduling').map((m) => m.provider)).toEqual(['calendly', 'calcom']);
    expect((await create({ categories: ['scheduling'] })).categories).toEqual(['scheduling']);
  });
});
