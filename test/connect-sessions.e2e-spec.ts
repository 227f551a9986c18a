import { createSandbox, RECORDED_SANDBOX_KEY, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { signHs256, TEST_JWT_SECRET, tenantToken } from './support/jwt';
import { counterValue } from './support/metrics';
import { basicAuth, startStackOneStandIn, StackOneStandIn, wireSession } from './support/stackone-stand-in';

const basic = basicAuth(TEST_STACKONE_KEY);

const token = (claims: Record<string, unknown> = {}, secret = TEST_JWT_SECRET): Promise<string> =>
  tenantToken({ org_id: 'org_acme', org_name: 'Acme Inc', email: 'jane@acme.example', sub: 'user_jane', ...claims }, { secret });

const sessionCalls = (sandbox: Sandbox) => sandbox.requests.filter((r) => r.method === 'POST' && r.path === '/connect_sessions');

describe('POST /v1/connect-sessions (service against the StackOne sandbox)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let bearer: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { STACKONE_MAX_RETRIES: '1', STACKONE_TIMEOUT_MS: '1500', STACKONE_BREAKER_FAILURES: '50' });
    bearer = `Bearer ${await token()}`;
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });
  beforeEach(() => sandbox.reset());

  it("starts quietly at info: none of Nest's start-up narration (modules loaded, routes mapped)", () => {
    const narration = svc.logs.parsed().filter((l) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication'].includes(String(l.context)));
    expect(narration).toEqual([]);
  });

  it('sends StackOne exactly the mapped body with Basic auth, owner from the token, and answers 201', async () => {
    const res = await svc
      .http()
      .post('/v1/connect-sessions')
      .set('Authorization', bearer)
      .send({ provider: 'hibob', label: 'Acme HiBob', metadata: { plan: 'gold' }, expiresIn: 600, type: 'test', categories: ['hris'] })
      .expect(201);
    const [call] = sessionCalls(sandbox);
    expect(sessionCalls(sandbox)).toHaveLength(1);
    expect(call.headers.authorization).toBe(RECORDED_SANDBOX_KEY);
    expect(call.body).toEqual({
      origin_owner_id: 'org_acme',
      origin_owner_name: 'Acme Inc',
      origin_username: 'jane@acme.example',
      provider: 'hibob',
      categories: ['hris'],
      label: 'Acme HiBob',
      metadata: { plan: 'gold' },
      expires_in: 600,
      type: 'test',
    });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
    expect(res.body).toMatchObject({
      token: expect.any(String),
      authLinkUrl: expect.stringContaining(sandbox.url),
      sessionId: expect.any(String),
      originOwnerId: 'org_acme',
      originOwnerName: 'Acme Inc',
      originUsername: 'jane@acme.example',
      provider: 'hibob',
      label: 'Acme HiBob',
      type: 'test',
      accountAction: 'create',
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(600_000);
    expect(JSON.stringify(res.body)).not.toContain(TEST_STACKONE_KEY);
  });

  it("sends connectorProfileId as StackOne's connector_profile_id (never integration_id), echoes StackOne's answer, and offers the scheduling category", async () => {
    const res = await svc
      .http()
      .post('/v1/connect-sessions')
      .set('Authorization', bearer)
      .send({ connectorProfileId: 'cp_calcom_v2', providerVersion: '1.0.0', categories: ['scheduling'] })
      .expect(201);
    const [call] = sessionCalls(sandbox);
    expect(call.body).toMatchObject({ connector_profile_id: 'cp_calcom_v2', provider_version: '1.0.0', categories: ['scheduling'] });
    expect(call.body).not.toHaveProperty('integration_id');
    expect(res.body).toMatchObject({ connectorProfileId: 'cp_calcom_v2', categories: ['scheduling'] });
    const providers = (await svc.http().get('/v1/providers?category=scheduling').set('Authorization', bearer).expect(200)).body;
    expect(providers.data.map((p: { provider: string; category: string }) => [p.provider, p.category])).toEqual([
      ['calendly', 'scheduling'],
      ['calcom', 'scheduling'],
    ]);
    const plain = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob' }).expect(201);
    expect(plain.body).not.toHaveProperty('connectorProfileId');
  });

  it('refuses a connectorProfileId that is no id with one message for the field, calling StackOne not at all', async () => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ connectorProfileId: '../profiles/x' }).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'connectorProfileId', message: 'connectorProfileId must be 1-128 letters, digits, . _ : or -' }]);
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('passes metadata keys named like Object.prototype members on to StackOne as sent', async () => {
    const metadata = { toString: 'y', valueOf: 2, hasOwnProperty: false, plan: 'gold' };
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob', metadata }).expect(201);
    const [call] = sessionCalls(sandbox);
    expect(JSON.stringify((call.body as { metadata: unknown }).metadata)).toBe(JSON.stringify(metadata));
    expect(res.body.metadata).toEqual(metadata);
  });

  it('refuses a metadata key named constructor with 400 naming it, instead of dropping it', async () => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob', metadata: { constructor: 'x', toString: 'y' } }).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'metadata.constructor', message: expect.stringMatching(/reserved key name/) }]);
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('refuses a metadata key named __proto__ the same way, not as invalid JSON', async () => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).set('Content-Type', 'application/json').send('{"provider":"hibob","metadata":{"__proto__":"x"}}').expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field: 'metadata.__proto__', message: expect.stringMatching(/reserved key name/) }]);
    expect(res.body.detail).not.toMatch(/JSON/);
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('logs one line per request with the request id, tenant, route and StackOne calls, and no secret', async () => {
    const requestId = `log-check-${Date.now()}`;
    const jwt = await token();
    await svc.http().post('/v1/connect-sessions').set('Authorization', `Bearer ${jwt}`).set('X-Request-Id', requestId).send({ provider: 'hibob' }).expect(201);
    const lines = svc.logs.parsed().filter((l) => l.reqId === requestId);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      tenantId: 'org_acme',
      principal: 'user_jane',
      method: 'POST',
      route: '/v1/connect-sessions',
      path: '/v1/connect-sessions',
      status: 201,
      upstreamCalls: 2,
      upstreamAttempts: 2,
    });
    expect(lines[0].ms).toEqual(expect.any(Number));
    const text = svc.logs.text();
    for (const secret of [jwt, TEST_STACKONE_KEY, basic.slice('Basic '.length), TEST_JWT_SECRET]) expect(text).not.toContain(secret);
  });

  it.each(['originOwnerId', 'originOwnerName', 'origin_owner_id', 'origin_owner_name'])(
    'refuses %s in the body with 400 problem+json and calls StackOne zero times',
    async (field) => {
      const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob', [field]: 'org_evil' }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toMatch(/comes from your credentials and must not be sent in the body\./);
      expect(res.body.errors).toContainEqual({ field, message: expect.stringMatching(/credentials/) });
      expect(sessionCalls(sandbox)).toHaveLength(0);
    },
  );

  it.each(['originOwnerId', 'originOwnerName', 'origin_owner_id', 'origin_owner_name', 'origin_owner_ids'])(
    'refuses %s in the query string with 400 saying it was found there, and calls StackOne zero times',
    async (field) => {
      const res = await svc.http().post(`/v1/connect-sessions?${field}=org_evil`).set('Authorization', bearer).send({ provider: 'hibob' }).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toBe('The owner (origin_owner_id / origin_owner_name) comes from your credentials and must not be sent in the query string.');
      expect(res.body.errors).toEqual([{ field, message: res.body.detail }]);
      expect(res.body.instance).toBe('/v1/connect-sessions');
      expect(sandbox.requests).toHaveLength(0);
    },
  );

  it('still ignores other query parameters on POST', async () => {
    await svc.http().post('/v1/connect-sessions?utm_source=x').set('Authorization', bearer).send({ provider: 'hibob' }).expect(201);
  });

  it.each([
    ['an unknown field', { provider: 'hibob', foo: 1 }],
    ['a bad category', { categories: ['payroll'] }],
    ['a string boolean', { multiple: 'false' }],
    ['expiresIn out of bounds', { expiresIn: 10 }],
    ['an accountId that is a URL', { accountId: 'http://evil/' }],
    ['nested metadata', { metadata: { a: { b: 1 } } }],
  ])('refuses %s with 400 problem+json listing the field, zero upstream calls', async (_n, body) => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send(body).expect(400);
    expect(res.body).toMatchObject({ type: expect.stringContaining('validation'), status: 400, instance: '/v1/connect-sessions', requestId: expect.any(String) });
    expect(res.body.errors.length).toBeGreaterThan(0);
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('gives one message per field, the most basic problem first (type before range)', async () => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ expiresIn: '1800', label: 5, categories: 'hris' }).expect(400);
    expect(res.body.errors).toHaveLength(3);
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { field: 'expiresIn', message: 'expiresIn must be an integer number' },
        { field: 'label', message: 'label must be a string' },
        { field: 'categories', message: 'categories must be an array' },
      ]),
    );
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('answers 413 problem+json for a body over the limit, 400/415 for text/plain and malformed JSON', async () => {
    const big = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).set('Content-Type', 'application/json').send(JSON.stringify({ label: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(big.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(big.body.detail).toBe('The request body is larger than the 16384 bytes this service accepts.');
    const text = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).set('Content-Type', 'text/plain').send('provider=hibob');
    expect([400, 415]).toContain(text.status);
    expect(text.headers['content-type']).toMatch(/^application\/problem\+json/);
    const broken = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).set('Content-Type', 'application/json').send('{"provider":');
    expect(broken.status).toBe(400);
    expect(broken.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(sessionCalls(sandbox)).toHaveLength(0);
  });

  it('answers problem+json 404 for unknown routes', async () => {
    const res = await svc.http().get('/v1/nope').set('Authorization', bearer).expect(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, instance: '/v1/nope' });
  });

  it('sends helmet security headers on answers, refusals and unknown routes alike', async () => {
    const created = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob' }).expect(201);
    const refused = await svc.http().post('/v1/connect-sessions').send({}).expect(401);
    const unknown = await svc.http().get('/nope').expect(404);
    for (const res of [created, refused, unknown]) {
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('echoes a sane X-Request-Id into the header and the problem body', async () => {
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).set('X-Request-Id', 'req-abc-123').send({ foo: 1 }).expect(400);
    expect(res.headers['x-request-id']).toBe('req-abc-123');
    expect(res.body.requestId).toBe('req-abc-123');
  });

  describe('JWT refusals (all 401 with WWW-Authenticate, zero upstream calls)', () => {
    const cases: [string, () => Promise<string>][] = [
      ['no credential', () => Promise.resolve('')],
      ['a bad signature', () => token({}, 'another-secret-of-at-least-32-bytes-000')],
      ['alg none', async () => {
        const [, payload] = (await token()).split('.');
        return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
      }],
      ['an expired token', () => signHs256({ org_id: 'org_acme', org_name: 'Acme Inc' }, TEST_JWT_SECRET, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })],
      ['a token without tenant claims', () => signHs256({ email: 'x@y.z' }, TEST_JWT_SECRET)],
      ['a whitespace-only tenant id claim', () => token({ org_id: '   ' })],
      ['a padded tenant name claim', () => token({ org_name: ' Acme Inc ' })],
      ['a tenant name claim with a control character', () => token({ org_name: 'Acme\u0000Inc' })],
    ];
    it.each(cases)('%s', async (_name, make) => {
      const t = await make();
      const req = svc.http().post('/v1/connect-sessions').send({ provider: 'hibob' });
      const res = await (t ? req.set('Authorization', `Bearer ${t}`) : req);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/Bearer/);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(sessionCalls(sandbox)).toHaveLength(0);
    });

    it('names the missing tenant claims', async () => {
      const t = await signHs256({ email: 'x@y.z' }, TEST_JWT_SECRET);
      const res = await svc.http().post('/v1/connect-sessions').set('Authorization', `Bearer ${t}`).send({}).expect(401);
      expect(res.body.detail).toMatch(/org_id/);
    });
  });

  describe('StackOne failures become problem+json', () => {
    const post = () => svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({ provider: 'hibob' });

    it('StackOne 400 → 422 carrying its message', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 1, status: 400, message: 'Provider hibob is not enabled' });
      const res = await post().expect(422);
      expect(res.body.detail).toBe('Provider hibob is not enabled');
    });

    it('StackOne 401 → 502 without upstream detail, logged loudly', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 1, status: 401, message: 'Invalid API key sk_live_whatever' });
      const res = await post().expect(502);
      expect(JSON.stringify(res.body)).not.toMatch(/Invalid API key|sk_live/);
      expect(svc.logs.text()).toMatch(/STACKONE_API_KEY/);
    });

    it('StackOne 429 with Retry-After beyond the cap → 429 passing Retry-After on', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 5, status: 429, retryAfter: 120 });
      const res = await post().expect(429);
      expect(res.headers['retry-after']).toBe('120');
    });

    it('StackOne 429 with a Retry-After HTTP-date in 2099 → 429 with Retry-After capped at 3600', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 1, status: 429, retryAfter: 'Thu, 01 Jan 2099 00:00:00 GMT' });
      const res = await post().expect(429);
      expect(res.headers['retry-after']).toBe('3600');
      expect(sessionCalls(sandbox)).toHaveLength(1);
    });

    it('StackOne 503 twice → 502 after the retry budget', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 2, status: 503 });
      await post().expect(502);
      expect(sessionCalls(sandbox)).toHaveLength(2);
    });

    it('StackOne 503 once, then fine → 201 (retried)', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 1, status: 503 });
      await post().expect(201);
      expect(sessionCalls(sandbox)).toHaveLength(2);
    });

    it('malformed JSON from StackOne → 502', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 1, malformed: true });
      await post().expect(502);
    });

    it('StackOne too slow → 504 within the deadline', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 3, delayMs: 3000 });
      const started = Date.now();
      await post().expect(504);
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('connection reset → 502', async () => {
      sandbox.injectFault({ path: '/connect_sessions', count: 2, connectionReset: true });
      await post().expect(502);
    });
  });
});

describe('a session StackOne made for another owner (local stand-in answering with a mixed-up owner)', () => {
  const FOREIGN_TOKEN = 'tok_made_for_org_other_5c1d';
  let upstream: StackOneStandIn;
  let svc: TestService;
  let bearer: string;
  let owner = 'org_other';

  beforeAll(async () => {
    upstream = await startStackOneStandIn({ apiKey: TEST_STACKONE_KEY });
    upstream.session = (body) => ({
      ...wireSession(body),
      origin_owner_id: owner,
      origin_owner_name: 'Other Co',
      token: FOREIGN_TOKEN,
      auth_link_url: `http://127.0.0.1/connect?token=${FOREIGN_TOKEN}`,
    });
    svc = await startService(upstream.url);
    bearer = `Bearer ${await token()}`;
  });
  afterAll(async () => {
    await svc?.close();
    await upstream?.close();
  });
  const mismatches = async (): Promise<number> =>
    counterValue((await svc.http().get('/metrics').expect(200)).text, 'stackone_owner_mismatch_total', { operation: 'createConnectSession' });

  it.each([
    ['without a provider', {}],
    ['with a provider', { provider: 'hibob' }],
  ])('answers 502 problem+json %s, logs an error, counts it, and never hands over the token', async (_n, body) => {
    owner = 'org_other';
    const before = await mismatches();
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send(body).expect(502);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toContain('upstream-invalid-response');
    expect(res.text).not.toContain(FOREIGN_TOKEN);
    const errors = svc.logs.parsed().filter((l) => l.level === 'error' && String(l.msg).includes('origin_owner_id'));
    expect(errors.at(-1)?.msg).toMatch(/tenant org_acme .*"org_other"/);
    expect(svc.logs.text()).not.toContain(FOREIGN_TOKEN);
    // Counted once per refused session: a delta, so the case stands alone whatever ran before it.
    expect((await mismatches()) - before).toBe(1);
  });

  it('hands over the session once the owner matches', async () => {
    owner = 'org_acme';
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', bearer).send({}).expect(201);
    expect(res.body).toMatchObject({ token: FOREIGN_TOKEN, originOwnerId: 'org_acme' });
  });
});

describe('POST /v1/connect-sessions with Idempotency-Key (IdempotencyService.respond in the real app)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let bearer: string;
  const post = (key: string | undefined, body: unknown, query = '') => {
    const req = svc.http().post(`/v1/connect-sessions${query}`).set('Authorization', bearer);
    return (key === undefined ? req : req.set('Idempotency-Key', key)).send(body as object);
  };

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, { STACKONE_MAX_RETRIES: '0', STACKONE_TIMEOUT_MS: '1500' });
    bearer = `Bearer ${await token()}`;
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });
  beforeEach(() => sandbox.reset());

  it('replays the first answer with Idempotent-Replayed: true, 201 and no-store, calling StackOne once', async () => {
    const first = await post('e2e-replay-1', { provider: 'hibob' }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await post('e2e-replay-1', { provider: 'hibob' }).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['cache-control']).toBe('no-store');
    expect(again.body).toEqual(first.body);
    expect(sessionCalls(sandbox)).toHaveLength(1);
  });

  it('answers 422 problem+json for the same key with another body, without calling StackOne', async () => {
    await post('e2e-422', { provider: 'hibob' }).expect(201);
    const res = await post('e2e-422', { provider: 'greenhouse' }).expect(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/different request body/);
    expect(sessionCalls(sandbox)).toHaveLength(1);
  });

  it('answers 400 problem+json naming the header for a malformed key and leaves requests without a key alone', async () => {
    const malformed = await post('has space', { provider: 'hibob' }).expect(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(malformed.body.errors).toEqual([{ field: 'Idempotency-Key', message: 'Idempotency-Key must be 1-255 visible ASCII characters.' }]);
    const plain = await post(undefined, { provider: 'hibob' }).expect(201);
    expect(plain.headers['idempotent-replayed']).toBeUndefined();
    expect(sessionCalls(sandbox)).toHaveLength(1);
  });

  it('validates the body before the key: an invalid body is 400, even under a key used before or malformed', async () => {
    await post('e2e-400', { provider: 'hibob' }).expect(201);
    const reused = await post('e2e-400', { provider: 'hibob', unknownField: 1 }).expect(400);
    expect(reused.body.errors).toEqual([expect.objectContaining({ field: 'unknownField' })]);
    await post('has space', { nope: true }).expect(400);
  });

  it('refuses the owner in the query string (400) even when the key and body would replay', async () => {
    await post('e2e-owner', { provider: 'hibob' }).expect(201);
    const res = await post('e2e-owner', { provider: 'hibob' }, '?origin_owner_id=org_evil').expect(400);
    expect(res.body.errors).toEqual([{ field: 'origin_owner_id', message: res.body.detail }]);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });
});
