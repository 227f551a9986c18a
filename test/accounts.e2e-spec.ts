import { serviceOverSandbox } from './support/app';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';

const tenant = (org: string, name: string): Promise<string> => bearer({ org_id: org, org_name: name, email: `admin@${org}.example` });

describe('tenant-scoped accounts, ownership checks and the account-action preview', () => {
  const ctx = serviceOverSandbox({ RATE_LIMIT_PER_TENANT: '10000' });
  let a: string;
  let b: string;

  beforeAll(async () => {
    a = await tenant('org_a', 'Tenant A');
    b = await tenant('org_b', 'Tenant B');
  });
  beforeEach(() => ctx.sandbox.reset());

  const createSession = (auth: string, body: Record<string, unknown>) => ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body);
  const upstream = (method: string, pathPrefix: string) => ctx.sandbox.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));

  /** Tenant connects `provider` through the hosted page; returns the account id. */
  async function connect(auth: string, body: Record<string, unknown>): Promise<{ accountId: string; preview: Record<string, unknown> }> {
    const res = await createSession(auth, body).expect(201);
    const done = await completeSession(res.body.authLinkUrl);
    expect(done.status).toBe(200);
    return { accountId: done.accountId as string, preview: res.body };
  }

  it('walks the seed tables: create, then update the same provider, multiple creates, accountId edits', async () => {
    // Row 1: no account yet for this owner + provider → create.
    const first = await connect(a, { provider: 'hibob' });
    expect(first.preview).toMatchObject({ accountAction: 'create' });
    expect(first.preview).not.toHaveProperty('accountId');
    const accounts1 = (await ctx.svc.http().get('/v1/accounts').set('Authorization', a).expect(200)).body;
    expect(accounts1).toEqual({
      data: [expect.objectContaining({ id: first.accountId, provider: 'hibob', originOwnerId: 'org_a', originOwnerName: 'Tenant A' })],
      page: 1,
      pageSize: 25,
      hasMore: false,
    });

    // Row 2: used before, no multiple → the existing account is updated, and the preview says which.
    const second = await connect(a, { provider: 'hibob', label: 'relinked' });
    expect(second.preview).toMatchObject({ accountAction: 'update', accountId: first.accountId });
    expect(second.accountId).toBe(first.accountId);
    expect((await ctx.svc.http().get('/v1/accounts').set('Authorization', a).expect(200)).body.data).toHaveLength(1);

    // Row 3: used before, multiple → a new account is created (no look-up needed).
    const lookupsBefore = upstream('GET', '/accounts').length;
    const third = await connect(a, { provider: 'hibob', multiple: true, label: 'second hibob' });
    expect(third.preview).toMatchObject({ accountAction: 'create' });
    expect(upstream('GET', '/accounts').length).toBe(lookupsBefore);
    expect(third.accountId).not.toBe(first.accountId);
    expect((await ctx.svc.http().get('/v1/accounts').set('Authorization', a).expect(200)).body.data).toHaveLength(2);

    // Row 4: accountId given → that account is opened for editing and updated.
    const fourth = await connect(a, { accountId: first.accountId });
    expect(fourth.preview).toMatchObject({ accountAction: 'update', accountId: first.accountId });
    expect(fourth.accountId).toBe(first.accountId);
  });

  it('gives no accountAction when neither provider nor accountId is given, and makes no look-up', async () => {
    const res = await createSession(a, { categories: ['hris'] }).expect(201);
    expect(res.body).not.toHaveProperty('accountAction');
    expect(upstream('GET', '/accounts')).toHaveLength(0);
  });

  it('confines list/get/patch/delete to the owner: tenant B gets 404 for every one of A\'s ids, and A\'s account is unchanged', async () => {
    const { accountId } = await connect(a, { provider: 'greenhouse', label: 'A label', metadata: { plan: 'gold' } });
    const before = ctx.sandbox.state.accounts.get(accountId);
    const beforeSnapshot = JSON.stringify(before);
    const mutationsBefore = upstream('PATCH', '/accounts').length + upstream('DELETE', '/accounts').length;

    expect((await ctx.svc.http().get('/v1/accounts').set('Authorization', b).expect(200)).body).toEqual({ data: [], page: 1, pageSize: 25, hasMore: false });
    const unknown = await ctx.svc.http().get('/v1/accounts/999999999').set('Authorization', b).expect(404);
    const foreign = await ctx.svc.http().get(`/v1/accounts/${accountId}`).set('Authorization', b).expect(404);
    expect(foreign.body.detail).toBe(unknown.body.detail);
    expect(foreign.body.title).toBe(unknown.body.title);
    await ctx.svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', b).send({ label: 'pwned' }).expect(404);
    await ctx.svc.http().delete(`/v1/accounts/${accountId}`).set('Authorization', b).expect(404);

    expect(upstream('PATCH', '/accounts').length + upstream('DELETE', '/accounts').length).toBe(mutationsBefore);
    expect(JSON.stringify(ctx.sandbox.state.accounts.get(accountId))).toBe(beforeSnapshot);

    // The owner can.
    const got = await ctx.svc.http().get(`/v1/accounts/${accountId}`).set('Authorization', a).expect(200);
    expect(got.body).toMatchObject({ id: accountId, provider: 'greenhouse', label: 'A label', originOwnerId: 'org_a' });
    const patched = await ctx.svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', a).send({ label: 'renamed' }).expect(200);
    expect(patched.body.label).toBe('renamed');
    await ctx.svc.http().delete(`/v1/accounts/${accountId}`).set('Authorization', a).expect(204);
    expect(ctx.sandbox.state.accounts.has(accountId)).toBe(false);
  });

  it('stores metadata keys named like Object.prototype members: a PATCH with only such keys never wipes metadata', async () => {
    const { accountId } = await connect(a, { provider: 'hibob', metadata: { toString: 's', plan: 'gold' } });
    expect(JSON.stringify(ctx.sandbox.state.accounts.get(accountId)?.metadata)).toBe('{"toString":"s","plan":"gold"}');
    const metadata = { toString: 'y', valueOf: 3, hasOwnProperty: true };
    const patched = await ctx.svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', a).send({ metadata }).expect(200);
    expect(upstream('PATCH', '/accounts').at(-1)?.body).toEqual({ metadata });
    expect(JSON.stringify(ctx.sandbox.state.accounts.get(accountId)?.metadata)).toBe(JSON.stringify(metadata));
    expect(patched.body.metadata).toEqual(metadata);

    // A key Nest would delete is refused, and the stored metadata stays as it was.
    const patches = upstream('PATCH', '/accounts').length;
    const refused = await ctx.svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', a).send({ metadata: { constructor: 'x' } }).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'metadata.constructor', message: expect.stringMatching(/reserved key name/) }]);
    expect(upstream('PATCH', '/accounts')).toHaveLength(patches);
    expect(JSON.stringify(ctx.sandbox.state.accounts.get(accountId)?.metadata)).toBe(JSON.stringify(metadata));
  });

  it('refuses an accountId session for a foreign or unknown account before StackOne is called', async () => {
    const { accountId } = await connect(a, { provider: 'hibob' });
    const sessionsBefore = upstream('POST', '/connect_sessions').length;
    const foreign = await createSession(b, { accountId }).expect(404);
    const unknown = await createSession(b, { accountId: '123456789' }).expect(404);
    expect(foreign.body.detail).toBe(unknown.body.detail);
    expect(upstream('POST', '/connect_sessions').length).toBe(sessionsBefore);
  });

  it('never returns credentials or setup information, though StackOne sends them', async () => {
    const { accountId } = await connect(a, { provider: 'hibob' });
    const raw = ctx.sandbox.state.accounts.get(accountId);
    expect(raw?.credentials).toBeDefined();
    const secrets = [String(raw?.credentials.api_key), String(raw?.credentials.refresh_token), String(raw?.setup_information.webhook_secret)];
    const bodies = [
      (await ctx.svc.http().get('/v1/accounts').set('Authorization', a).expect(200)).text,
      (await ctx.svc.http().get(`/v1/accounts/${accountId}`).set('Authorization', a).expect(200)).text,
      (await ctx.svc.http().patch(`/v1/accounts/${accountId}`).set('Authorization', a).send({ metadata: { plan: 'x' } }).expect(200)).text,
    ];
    for (const body of bodies) {
      expect(body).not.toMatch(/credentials|setup_information|setupInformation/);
      for (const s of secrets) expect(body).not.toContain(s);
    }
    for (const s of secrets) expect(ctx.svc.logs.text()).not.toContain(s);
  });

  it('answers pages as { data, page, pageSize, hasMore }, with hasMore exact even when the last page is full', async () => {
    const ids: string[] = [];
    for (const provider of ['hibob', 'greenhouse', 'lever']) ids.push((await connect(a, { provider })).accountId);
    await connect(b, { provider: 'okta' });
    const list = async (q: string): Promise<{ body: Record<string, unknown>; calls: number }> => {
      const before = upstream('GET', '/accounts').length;
      const { body } = await ctx.svc.http().get(`/v1/accounts?${q}`).set('Authorization', a).expect(200);
      return { body, calls: upstream('GET', '/accounts').length - before };
    };
    const ofIds = (body: Record<string, unknown>): string[] => (body.data as { id: string }[]).map((x) => x.id);

    const first = await list('page=1&pageSize=2');
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, hasMore: true });
    expect(ofIds(first.body)).toEqual(ids.slice(0, 2));
    const second = await list('page=2&pageSize=2');
    expect(second.body).toMatchObject({ page: 2, pageSize: 2, hasMore: false });
    expect(ofIds(second.body)).toEqual(ids.slice(2));
    expect(second.calls).toBe(1); // a page that is not full needs no look-ahead

    // Exactly full last page: the look-ahead finds nothing (tenant B's account is not counted).
    const full = await list('pageSize=3');
    expect(full.body).toMatchObject({ page: 1, pageSize: 3, hasMore: false });
    expect(ofIds(full.body)).toEqual(ids);
    expect(full.calls).toBe(2);
    const beyond = await list('page=5&pageSize=2');
    expect(beyond.body).toEqual({ data: [], page: 5, pageSize: 2, hasMore: false });
  });

  it('filters the list by provider and status and pages it', async () => {
    await connect(a, { provider: 'hibob' });
    await connect(a, { provider: 'greenhouse' });
    await connect(a, { provider: 'lever' });
    const hibob = (await ctx.svc.http().get('/v1/accounts?providers=hibob').set('Authorization', a).expect(200)).body.data;
    expect(hibob.map((x: { provider: string }) => x.provider)).toEqual(['hibob']);
    const two = (await ctx.svc.http().get('/v1/accounts?providers=hibob&providers=lever').set('Authorization', a).expect(200)).body.data;
    expect(two.map((x: { provider: string }) => x.provider).sort()).toEqual(['hibob', 'lever']);
    expect((await ctx.svc.http().get('/v1/accounts?status=error').set('Authorization', a).expect(200)).body.data).toEqual([]);
    await ctx.svc.http().get('/v1/accounts?pageSize=101').set('Authorization', a).expect(400);
    await ctx.svc.http().get('/v1/accounts?status=deleted').set('Authorization', a).expect(400);
    for (const field of ['origin_owner_id', 'origin_owner_name', 'originOwnerId', 'originOwnerName', 'origin_owner_ids']) {
      const owner = await ctx.svc.http().get(`/v1/accounts?${field}=org_b`).set('Authorization', a).expect(400);
      expect(owner.body.detail).toBe('The owner (origin_owner_id / origin_owner_name) comes from your credentials and must not be sent in the query string.');
      expect(owner.body.errors).toEqual([{ field, message: owner.body.detail }]);
    }
    const sent = upstream('GET', '/accounts').at(-1);
    expect(sent?.query.origin_owner_id).toBe('org_a');
  });
});

describe('allow-lists and the providers list', () => {
  const ctx = serviceOverSandbox({
    STACKONE_ALLOWED_PROVIDERS: 'hibob,greenhouse,salesforce',
    STACKONE_ALLOWED_CATEGORIES: 'hris,ats',
    STACKONE_PROVIDERS_CACHE_TTL_SECONDS: '60',
  });
  let auth: string;

  beforeAll(async () => {
    auth = await tenant('org_a', 'Tenant A');
  });

  it('refuses a provider outside the allow-list with 400 naming the allowed ones, before StackOne', async () => {
    ctx.sandbox.reset();
    const res = await ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ provider: 'lever' }).expect(400);
    expect(res.body.detail).toContain('hibob, greenhouse, salesforce');
    expect(ctx.sandbox.requests).toHaveLength(0);
  });

  it('refuses categories outside the allow-list and narrows an open session to the allowed ones', async () => {
    ctx.sandbox.reset();
    const res = await ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ categories: ['crm'] }).expect(400);
    expect(res.body.detail).toContain('hris, ats');
    await ctx.svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({}).expect(201);
    expect(ctx.sandbox.requests.at(-1)?.body).toMatchObject({ categories: ['hris', 'ats'] });
  });

  it('lists only allowed providers, filters by category, and serves from memory within the TTL', async () => {
    ctx.sandbox.reset();
    const all = (await ctx.svc.http().get('/v1/providers').set('Authorization', auth).expect(200)).body;
    // The same { data, page, pageSize, hasMore } envelope as the other lists, always one page.
    expect(all).toEqual({ data: expect.any(Array), page: 1, pageSize: 2, hasMore: false });
    // salesforce is an allowed provider but its category (crm) is not.
    expect(all.data.map((p: { provider: string }) => p.provider).sort()).toEqual(['greenhouse', 'hibob']);
    const ats = (await ctx.svc.http().get('/v1/providers?category=ats').set('Authorization', auth).expect(200)).body;
    expect(ats).toEqual({ data: [expect.objectContaining({ provider: 'greenhouse', name: 'Greenhouse', category: 'ats' })], page: 1, pageSize: 1, hasMore: false });
    await ctx.svc.http().get('/v1/providers?category=payroll').set('Authorization', auth).expect(400);
    expect(ctx.sandbox.requests.filter((r) => r.path === '/connectors/meta')).toHaveLength(1);
  });
});
