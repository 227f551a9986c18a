import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { REDACTED_SECRET } from '../sandbox/hub.routes';
import { DEFAULT_PROVIDERS } from '../sandbox/providers';
import { basicAuth } from './support/stackone-stand-in';

const KEY = 'sandbox-hub-e2e-key';
const ORIGIN = 'http://product.example:4020';

/**
 * The sandbox's hub API as the @stackone/hub 1.11.4 bundle calls it (headers, CORS, bodies), checked
 * against the sandbox's state: the bundle hides 401/403s, so a refusal must be seen in the state.
 */
describe("the sandbox's hub API (what <stackone-hub> calls)", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: KEY });
  });
  afterEach(() => sandbox.reset());
  afterAll(async () => {
    await sandbox.close();
  });

  async function session(body: Record<string, unknown> = {}): Promise<string> {
    const res = await fetch(`${sandbox.url}/connect_sessions`, {
      method: 'POST',
      headers: { authorization: basicAuth(KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ origin_owner_id: 'org_acme', origin_owner_name: 'Acme Inc', ...body }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  }

  /** The fields of the hub API's answers these tests read (each route answers some of them). */
  interface Body {
    statusCode?: number;
    message?: string;
    id: string;
    status: string;
    integrations: { provider: string; logo_url: string }[];
    config: { authentication?: unknown };
    account: { id: string };
  }

  /** A call with the headers the bundle sends on every request. */
  async function hub(token: string | undefined, method: string, path: string, body?: unknown): Promise<{ status: number; json: Body; headers: Headers; text: string }> {
    const res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-hub-version': '1.11.4', origin: ORIGIN, ...(token !== undefined ? { 'x-hub-session-token': token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Body, headers: res.headers, text };
  }

  const connect = (token: string, integration: string, credentials: Record<string, string>) =>
    hub(token, 'POST', '/hub/accounts', { integration_id: integration, credentials });
  const rawAccount = (id: string) => sandbox.state.accounts.get(id);

  it('answers the CORS preflight for any origin with the methods and headers the hub uses, without the API key or a token', async () => {
    const res = await fetch(`${sandbox.url}/hub/accounts/123`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'content-type,x-hub-session-token,x-hub-version' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(res.headers.get('access-control-allow-methods')?.split(/, */)).toEqual(['GET', 'POST', 'PATCH', 'DELETE']);
    expect(res.headers.get('access-control-allow-headers')?.split(/, */)).toEqual(['x-hub-session-token', 'x-hub-version', 'content-type']);
    expect(sandbox.requests).toEqual([]);
    const token = await session();
    const settings = await hub(token, 'GET', '/hub/settings');
    expect([settings.status, settings.headers.get('access-control-allow-origin')]).toEqual([200, ORIGIN]);
    // An unknown hub path answers a 404 the browser can read (with CORS headers), not a CORS failure.
    const unknown = await hub(token, 'GET', '/hub/nope');
    expect([unknown.status, unknown.headers.get('access-control-allow-origin'), unknown.json.message]).toEqual([404, ORIGIN, 'Cannot GET /hub/nope']);
  });

  it.each([
    ['no token', undefined],
    ['an unknown token', 'not-a-session-token'],
  ])('refuses %s with 401 and StackOne’s error body, on every route, the API key being no substitute', async (_what, token) => {
    for (const [method, path] of [
      ['GET', '/hub/settings'],
      ['GET', '/hub/connectors'],
      ['GET', '/hub/connectors/int-hibob'],
      ['POST', '/hub/accounts'],
      ['PATCH', '/hub/accounts/1'],
      ['POST', '/hub/connection_attempts'],
    ]) {
      const res = await hub(token, method, path, method === 'GET' ? undefined : {});
      expect({ path, status: res.status, body: res.json }).toEqual({ path, status: 401, body: { statusCode: 401, message: 'Invalid or expired connect session token', timestamp: expect.any(String) } });
    }
    const withKey = await fetch(`${sandbox.url}/hub/connectors`, { headers: { authorization: basicAuth(KEY) } });
    expect(withKey.status).toBe(401);
  });

  it('refuses an expired session’s token, and records the token only as present', async () => {
    const token = await session({ expires_in: 1 });
    expect((await hub(token, 'GET', '/hub/connectors')).status).toBe(200);
    (sandbox.state.sessions.get(token) as { expiresAt: number }).expiresAt = Date.now() - 1;
    const res = await hub(token, 'GET', '/hub/connectors');
    expect([res.status, res.json.message]).toEqual([401, 'Invalid or expired connect session token']);
    const recorded = sandbox.requests.filter((r) => r.path.startsWith('/hub/'));
    expect(recorded.map((r) => [r.headers['x-hub-session-token'], r.headers['x-hub-version']])).toEqual([
      ['[redacted]', '1.11.4'],
      ['[redacted]', '1.11.4'],
    ]);
    expect(JSON.stringify(sandbox.requests)).not.toContain(token);
  });

  it('lists the session’s integrations with what the hub needs, one for a provider session, a category’s for a categories session', async () => {
    const all = await hub(await session(), 'GET', '/hub/connectors');
    expect(all.json.integrations).toHaveLength(DEFAULT_PROVIDERS.length);
    expect(all.json.integrations[0]).toEqual({
      integration_id: 'int-hibob',
      provider: 'hibob',
      name: 'HiBob',
      type: 'hris',
      active: true,
      version: '1',
      authentication_config_key: 'custom',
      environment: 'production',
      logo_url: `${sandbox.url}/__sandbox/logos/hibob.png`,
    });
    const logo = await fetch(all.json.integrations[0].logo_url);
    expect([logo.status, logo.headers.get('content-type')]).toEqual([200, 'image/png']);

    const one = await hub(await session({ provider: 'personio' }), 'GET', '/hub/connectors');
    expect(one.json.integrations.map((i: { provider: string }) => i.provider)).toEqual(['personio']);
    const ats = await hub(await session({ categories: ['ats'] }), 'GET', '/hub/connectors');
    expect(ats.json.integrations.map((i: { provider: string }) => i.provider)).toEqual(['greenhouse', 'lever', 'ashby']);
    const scheduling = await hub(await session({ categories: ['scheduling'] }), 'GET', '/hub/connectors');
    expect(scheduling.json.integrations.map((i: { provider: string }) => i.provider)).toEqual(['calendly', 'calcom']);
    const filtered = await hub(await session(), 'GET', '/hub/connectors?provider=lever');
    expect(filtered.json.integrations.map((i: { provider: string }) => i.provider)).toEqual(['lever']);
  });

  it('gives a credentials connector typed fields (a secret API key, a non-secret username) and an OAuth one its type; not-offered ones are 404', async () => {
    const token = await session({ categories: ['hris', 'crm'] });
    const bob = await hub(token, 'GET', '/hub/connectors/int-hibob');
    expect(bob.json.config).toMatchObject({
      name: 'HiBob',
      type: 'custom',
      configFields: [
        { key: 'username', type: 'text', required: true, secret: false },
        { key: 'api_key', type: 'password', required: true, secret: true },
      ],
      assets: { icon: `${sandbox.url}/__sandbox/logos/hibob.png` },
    });
    expect(bob.json.config.authentication).toBeUndefined();
    const hubspot = await hub(token, 'GET', '/hub/connectors/int-hubspot');
    expect(hubspot.json.config).toMatchObject({ name: 'HubSpot', type: 'oauth2', configFields: [] });
    const lever = await hub(token, 'GET', '/hub/connectors/int-lever');
    expect([lever.status, lever.json.statusCode, lever.json.message]).toEqual([404, 404, 'Connector not found']);
  });

  it('creates the account with the session’s owner, label and metadata, then refuses the used token; the answer carries no credential', async () => {
    const token = await session({ label: 'Payroll HR', metadata: { plan: 'pro' }, origin_username: 'jane' });
    const res = await connect(token, 'int-hibob', { username: 'jane.admin', api_key: 'made-up-hibob-key' });
    expect(res.status).toBe(201);
    expect(res.text).not.toContain('made-up-hibob-key');
    expect(rawAccount(res.json.id)).toMatchObject({
      provider: 'hibob',
      origin_owner_id: 'org_acme',
      origin_username: 'jane',
      label: 'Payroll HR',
      metadata: { plan: 'pro' },
      credentials: { username: 'jane.admin', api_key: 'made-up-hibob-key' },
    });
    const again = await connect(token, 'int-hibob', { username: 'x', api_key: 'y' });
    expect([again.status, again.json.message]).toEqual([409, 'This connect session has already been used']);
    expect(sandbox.state.accounts.size).toBe(1);
  });

  it('applies the upsert rules: the owner’s account of that provider is updated, `multiple` adds one', async () => {
    const first = await connect(await session(), 'int-bamboohr', { username: 'a', api_key: 'k1' });
    const second = await connect(await session(), 'int-bamboohr', { username: 'b', api_key: 'k2' });
    expect(second.json.id).toBe(first.json.id);
    expect(rawAccount(first.json.id)?.credentials).toMatchObject({ username: 'b', api_key: 'k2' });
    const third = await connect(await session({ multiple: true }), 'int-bamboohr', { username: 'c', api_key: 'k3' });
    expect(third.json.id).not.toBe(first.json.id);
    expect(sandbox.state.accounts.size).toBe(2);
  });

  it.each([
    ['a missing required field', 'int-hibob', { username: 'jane' }, 400, 'API key is required'],
    ['a connector the session does not offer', 'int-greenhouse', { username: 'a', api_key: 'b' }, 400, 'Greenhouse is not offered by this connect session'],
    ['an unknown integration', 'int-nope', { username: 'a', api_key: 'b' }, 400, 'integration_id must be the id of one of the offered connectors'],
    ['credentials for an OAuth connector', 'int-hubspot', { username: 'a', api_key: 'b' }, 400, 'HubSpot connects through OAuth, not credentials'],
  ])('refuses %s with StackOne’s error body and creates nothing', async (_what, integration, credentials, status, message) => {
    const res = await connect(await session({ categories: ['hris', 'crm'] }), integration, credentials);
    expect([res.status, res.json]).toEqual([status, { statusCode: status, message, timestamp: expect.any(String) }]);
    expect(sandbox.state.accounts.size).toBe(0);
  });

  it('answers an injected refusal with provider_response (what the hub shows for wrong credentials)', async () => {
    sandbox.injectFault({ method: 'POST', path: '/hub/accounts', status: 400, message: 'Invalid credentials', providerResponse: '{"error":"invalid_api_key"}' });
    const res = await connect(await session(), 'int-hibob', { username: 'jane', api_key: 'wrong' });
    expect([res.status, res.headers.get('access-control-allow-origin'), res.json]).toEqual([
      400,
      ORIGIN,
      { statusCode: 400, message: 'Invalid credentials', provider_response: '{"error":"invalid_api_key"}', timestamp: expect.any(String) },
    ]);
    expect(sandbox.state.accounts.size).toBe(0);
  });

  describe('edit flow (a re-link session)', () => {
    async function existing(owner = 'org_acme'): Promise<string> {
      const created = await connect(await session({ origin_owner_id: owner }), 'int-hibob', { username: 'jane.admin', api_key: 'the-real-secret' });
      return created.json.id;
    }

    it('tells the hub the account to edit, and sends its secrets only as the redacted placeholder', async () => {
      const id = await existing();
      const token = await session({ account_id: id });
      expect((await hub(token, 'GET', '/hub/settings')).json).toEqual({ enabled_features: [], existing_account_id: id });
      const account = await hub(token, 'GET', `/hub/accounts/${id}`);
      expect(account.json).toEqual({
        id,
        account_id: id,
        provider: 'hibob',
        integrationId: 'int-hibob',
        version: '1',
        setupInformation: { username: 'jane.admin' },
        secrets: { api_key: REDACTED_SECRET },
      });
      expect(account.text).not.toContain('the-real-secret');
      expect(account.text).not.toContain('rt_');
    });

    it('keeps an unchanged secret (left out, or sent back as the placeholder) and stores the changed field', async () => {
      const id = await existing();
      const omitted = await hub(await session({ account_id: id }), 'PATCH', `/hub/accounts/${id}`, { integration_id: 'int-hibob', credentials: { username: 'jane.new' } });
      expect(omitted.status).toBe(200);
      expect(rawAccount(id)?.credentials).toMatchObject({ username: 'jane.new', api_key: 'the-real-secret' });
      await hub(await session({ account_id: id }), 'PATCH', `/hub/accounts/${id}`, { integration_id: 'int-hibob', credentials: { username: 'jane.3', api_key: REDACTED_SECRET } });
      expect(rawAccount(id)?.credentials).toMatchObject({ username: 'jane.3', api_key: 'the-real-secret' });
      await hub(await session({ account_id: id }), 'PATCH', `/hub/accounts/${id}`, { integration_id: 'int-hibob', credentials: { api_key: 'rotated' } });
      expect(rawAccount(id)?.credentials).toMatchObject({ username: 'jane.3', api_key: 'rotated' });
    });

    it('makes an expired or error account active again and clears its reasons when the edit succeeds, as a re-link does at StackOne', async () => {
      for (const status of ['expired', 'error']) {
        const id = await existing();
        const account = rawAccount(id);
        if (!account) throw new Error('no account');
        account.status = status;
        account.status_reasons = [{ code: 'token_expired', description: 'The refresh token was revoked', timestamp: new Date().toISOString() }];
        const res = await hub(await session({ account_id: id }), 'PATCH', `/hub/accounts/${id}`, { integration_id: 'int-hibob', credentials: { api_key: 'fresh-key' } });
        expect([res.status, res.json.status]).toEqual([200, 'active']);
        expect(rawAccount(id)).toMatchObject({ status: 'active', status_reasons: [] });
        sandbox.reset();
      }
    });

    it('leaves a suspended account suspended after an edit (re-linking does not undo an operator’s pause)', async () => {
      const id = await existing();
      const account = rawAccount(id);
      if (!account) throw new Error('no account');
      account.status = 'suspended';
      const res = await hub(await session({ account_id: id }), 'PATCH', `/hub/accounts/${id}`, { integration_id: 'int-hibob', credentials: { api_key: 'fresh-key' } });
      expect([res.status, res.json.status, rawAccount(id)?.credentials.api_key]).toEqual([200, 'suspended', 'fresh-key']);
    });

    it("refuses another owner's account (403, unchanged) and an account that is not the session's", async () => {
      const globex = await existing('org_globex');
      const res = await hub(await session(), 'PATCH', `/hub/accounts/${globex}`, { integration_id: 'int-hibob', credentials: { username: 'taken' } });
      expect([res.status, res.json.message]).toEqual([403, 'This connect session cannot access this account']);
      expect(rawAccount(globex)?.credentials.username).toBe('jane.admin');
      expect((await hub(await session(), 'GET', `/hub/accounts/${globex}`)).status).toBe(403);
      const mine = await existing();
      const other = await connect(await session({ multiple: true }), 'int-hibob', { username: 'second', api_key: 'x' });
      const wrong = await hub(await session({ account_id: mine }), 'PATCH', `/hub/accounts/${other.json.id}`, { integration_id: 'int-hibob', credentials: { username: 'no' } });
      expect(wrong.status).toBe(403);
      expect(rawAccount(other.json.id)?.credentials.username).toBe('second');
      expect((await hub(await session(), 'GET', '/hub/accounts/404404')).status).toBe(404);
    });
  });

  describe('OAuth connection attempts and the consent popup', () => {
    const popup = (token: string, attemptId: string, integration = 'int-hubspot'): string =>
      `${sandbox.url}/connect/oauth2/${integration}?redirect_uri=${encodeURIComponent('https://app.example/embedded/accounts/callback')}&token=${encodeURIComponent(token)}&connection_attempt_id=${attemptId}`;
    const consent = (token: string, attemptId: string, decision: 'allow' | 'deny', integration = 'int-hubspot') =>
      fetch(`${sandbox.url}/connect/oauth2/${integration}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, connection_attempt_id: attemptId, decision }),
      });

    it('goes pending → authenticated with the new account once the user allows, as the hub polls it', async () => {
      const token = await session({ provider: 'hubspot', label: 'CRM' });
      const attempt = await hub(token, 'POST', '/hub/connection_attempts', { token });
      expect([attempt.status, attempt.json.status]).toEqual([201, 'pending']);
      const page = await fetch(popup(token, attempt.json.id));
      expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('Allow StackOne to access HubSpot?')]);
      expect((await hub(token, 'GET', `/hub/connection_attempts/${attempt.json.id}`)).json.status).toBe('pending');
      expect((await consent(token, attempt.json.id, 'allow')).status).toBe(200);
      const done = await hub(token, 'GET', `/hub/connection_attempts/${attempt.json.id}`);
      expect(done.json).toMatchObject({ status: 'authenticated', account: { id: expect.any(String) } });
      expect(rawAccount(done.json.account.id)).toMatchObject({ provider: 'hubspot', origin_owner_id: 'org_acme', label: 'CRM', credentials: { access_token: expect.stringMatching(/^at_/) } });
      expect((await fetch(popup(token, attempt.json.id))).status).toBe(410);
    });

    it.each([
      ['a denial', undefined, 'deny', { status: 'error', error: { code: 'access_denied', description: 'Access to HubSpot was denied.' } }],
      ['an oauth error fault', { status: 'error', code: 'invalid_grant', description: 'Token exchange failed' }, 'allow', { status: 'error', error: { code: 'invalid_grant', description: 'Token exchange failed' } }],
      ['an oauth cancelled fault', { status: 'cancelled' }, 'allow', { status: 'cancelled' }],
    ] as const)('ends in error or cancelled after %s, connecting nothing', async (_what, oauth, decision, expected) => {
      if (oauth) sandbox.injectFault({ oauth: { ...oauth } });
      const token = await session({ provider: 'hubspot' });
      const attempt = await hub(token, 'POST', '/hub/connection_attempts', { token });
      await consent(token, attempt.json.id, decision);
      const read = await hub(token, 'GET', `/hub/connection_attempts/${attempt.json.id}`);
      expect(read.json).toEqual({ id: attempt.json.id, created_at: expect.any(String), ...expected });
      expect(sandbox.state.accounts.size).toBe(0);
    });

    it('cancels on DELETE (sent with Content-Type: application/json and no body), and keeps one session’s attempts from another', async () => {
      const token = await session({ provider: 'hubspot' });
      const attempt = await hub(token, 'POST', '/hub/connection_attempts', { token });
      const other = await hub(await session(), 'GET', `/hub/connection_attempts/${attempt.json.id}`);
      expect(other.status).toBe(404);
      const cancelled = await hub(token, 'DELETE', `/hub/connection_attempts/${attempt.json.id}`);
      expect([cancelled.status, cancelled.json.status]).toEqual([200, 'cancelled']);
      expect((await consent(token, attempt.json.id, 'allow')).status).toBe(410);
      expect(sandbox.state.accounts.size).toBe(0);
    });
  });
});
