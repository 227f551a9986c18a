import { StackOne } from '@stackone/stackone-client-ts';
import { ConnectSessionCreate$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectsessioncreate';
import { ConnectSession$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectsession';
import { ConnectSessionTokenAuthLink$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectsessiontokenauthlink';
import { LinkedAccount$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/linkedaccount';
import { ConnectorsMeta$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectorsmeta';
import { ResponseValidationError } from '@stackone/stackone-client-ts/sdk/models/errors/responsevalidationerror';
import { z } from 'zod';
import { createSandbox, RECORDED_SANDBOX_KEY, Sandbox } from '../sandbox/sandbox';
import { CONNECT_SESSION_CREATE_KEYS } from '../src/stackone/stackone.types';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';
import { basicAuth } from './support/stackone-stand-in';

/**
 * What StackOne documents after SDK 4.28.0 (the only version the registry serves), written out from
 * ../shared/STACKONE-API.md rather than imported from the service, so a wrong list in src/ fails here.
 */
const CURRENT_CATEGORIES = ['ats', 'hris', 'hris-legacy', 'crm', 'iam', 'marketing', 'lms', 'stackone', 'documents', 'ticketing', 'screening', 'messaging', 'accounting', 'scheduling'] as const;
/** POST /connect_sessions: connector_profile_id (the deprecated alias integration_id is never sent), scheduling. */
const CurrentSessionCreate = z
  .object({ connector_profile_id: z.string().min(1).optional(), categories: z.array(z.enum(CURRENT_CATEGORIES)).optional() })
  .passthrough()
  .refine((body) => !('integration_id' in body), { message: 'integration_id is deprecated: never send it' });
/** The session StackOne answers: organization_id a string since SDK 4.34.0, connector_profile_id echoed. */
const CurrentSessionAnswer = z.object({ organization_id: z.string(), connector_profile_id: z.string().nullish() }).passthrough();
/** SDK 4.28.0 knows neither `scheduling` nor a string organization_id: its schemas check the rest. */
const forSdk428 = (body: Record<string, unknown>): Record<string, unknown> => ({
  ...body,
  ...(Array.isArray(body.categories) ? { categories: body.categories.filter((c) => c !== 'scheduling') } : {}),
  ...('organization_id' in body ? { organization_id: 4242 } : {}),
});

/**
 * The official SDK (@stackone/stackone-client-ts) is the machine-readable contract: every body this
 * service sends must parse with its schema (and carry no key outside StackOne's list, since the
 * schema strips unknown keys), and every sandbox answer must parse too; what StackOne added since
 * 4.28.0 is checked with the schemas above.
 */
describe('contract with the official StackOne SDK', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let auth: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url);
    auth = await bearer({ org_id: 'org_c', org_name: 'Contract Co', email: 'c@c.example' });
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  it.each([
    ['the smallest body', {}],
    ['a provider', { provider: 'hibob' }],
    ['every field', { originUsername: 'u@c.example', provider: 'greenhouse', providerVersion: '1.2.0', connectorProfileId: 'cp_greenhouse_v2', categories: ['ats', 'hris', 'scheduling'], label: 'L', multiple: true, metadata: { plan: 'gold', seats: 5, trial: false }, expiresIn: 3600, type: 'test' }],
    ['a connector profile', { provider: 'hibob', connectorProfileId: 'cp_hibob_v2' }],
  ])('sends %s in a shape the SDK and StackOne\'s current contract accept, with no key outside StackOne\'s list', async (_n, body) => {
    sandbox.reset();
    await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body).expect(201);
    const sent = sandbox.requests.find((r) => r.method === 'POST' && r.path === '/connect_sessions')?.body as Record<string, unknown>;
    const parsed = ConnectSessionCreate$inboundSchema.safeParse(forSdk428(sent));
    expect(parsed.success).toBe(true);
    expect(CurrentSessionCreate.safeParse(sent).error?.issues).toBeUndefined();
    for (const key of Object.keys(sent)) expect(CONNECT_SESSION_CREATE_KEYS).toContain(key);
    expect(sent).toMatchObject({ origin_owner_id: 'org_c', origin_owner_name: 'Contract Co' });
    if ('connectorProfileId' in body) expect(sent.connector_profile_id).toBe(body.connectorProfileId);
  });

  it("never sends StackOne's deprecated integration_id, and echoes connector_profile_id as connectorProfileId", async () => {
    sandbox.reset();
    expect(CONNECT_SESSION_CREATE_KEYS).not.toContain('integration_id');
    const res = await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send({ provider: 'hibob', connectorProfileId: 'cp_hibob_v2' }).expect(201);
    expect(res.body.connectorProfileId).toBe('cp_hibob_v2');
    for (const refused of [{ integrationId: 'cp_1' }, { integration_id: 'cp_1' }]) {
      await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(refused).expect(400);
    }
    const bodies = sandbox.requests.filter((r) => r.path === '/connect_sessions').map((r) => r.body as Record<string, unknown>);
    expect(bodies).toHaveLength(1);
    for (const sent of bodies) expect(sent).not.toHaveProperty('integration_id');
  });

  it('the sandbox answers every operation in shapes the SDK parses', async () => {
    sandbox.reset();
    const wire = { authorization: basicAuth(TEST_STACKONE_KEY), 'content-type': 'application/json' };
    const sdk = new StackOne({ serverURL: sandbox.url, security: { username: TEST_STACKONE_KEY, password: '' } });

    // SDK 4.28.0 types organization_id a number: it refuses StackOne's current (string) answer, which
    // is why the service reads either. The SDK's request was still StackOne's shape.
    const refused = await sdk.connectSessions.createConnectSession({ originOwnerId: 'org_sdk', originOwnerName: 'SDK Org', provider: 'hibob', label: 'via sdk' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ResponseValidationError);
    expect((refused as ResponseValidationError).pretty()).toContain('organization_id');
    const raw = sandbox.requests.at(-1);
    expect(raw?.headers.authorization).toBe(RECORDED_SANDBOX_KEY);
    const created = (await (await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers: wire, body: JSON.stringify(raw?.body) })).json()) as Record<string, unknown>;
    expect(CurrentSessionAnswer.safeParse(created).success).toBe(true);
    expect(ConnectSessionTokenAuthLink$inboundSchema.safeParse(forSdk428(created)).success).toBe(true);

    const authed = (await (await fetch(`${sandbox.url}/connect_sessions/authenticate`, { method: 'POST', headers: wire, body: JSON.stringify({ token: created.token }) })).json()) as Record<string, unknown>;
    expect(CurrentSessionAnswer.safeParse(authed).success).toBe(true);
    expect(ConnectSession$inboundSchema.safeParse(forSdk428(authed)).data?.originOwnerId).toBe('org_sdk');

    const done = await completeSession(created.auth_link_url as string);
    expect(done.status).toBe(200);
    const id = done.accountId as string;

    const list = await sdk.accounts.listLinkedAccounts({ originOwnerId: 'org_sdk', providers: ['hibob'] });
    expect(list.classes?.map((a) => a.id)).toEqual([id]);
    const got = await sdk.accounts.getAccount({ id });
    expect(got.linkedAccount?.provider).toBe('hibob');
    const updated = await sdk.accounts.updateAccount({ id, patchAccountExternalDto: { originOwnerName: 'SDK Org' } });
    expect(updated.linkedAccount?.id).toBe(id);
    const meta = await sdk.connectors.listConnectorsMeta({});
    expect(meta.classes?.length).toBeGreaterThan(3);
    const one = await sdk.connectors.getConnectorMeta({ provider: 'greenhouse' });
    expect(one.connectorsMeta?.providerName).toBe('Greenhouse');
    const deleted = await sdk.accounts.deleteAccount({ id });
    expect(deleted.linkedAccount?.id).toBe(id);
  });

  it('sandbox wire answers parse with the SDK inbound schemas directly', async () => {
    sandbox.reset();
    const headers = { authorization: basicAuth(TEST_STACKONE_KEY), 'content-type': 'application/json' };
    const session = (await (await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers, body: JSON.stringify({ origin_owner_id: 'o', origin_owner_name: 'O', provider: 'lever', connector_profile_id: 'cp_lever' }) })).json()) as Record<string, unknown>;
    expect(ConnectSessionTokenAuthLink$inboundSchema.safeParse(forSdk428(session)).success).toBe(true);
    expect(CurrentSessionAnswer.parse(session)).toMatchObject({ organization_id: expect.any(String), connector_profile_id: 'cp_lever' });
    const done = await completeSession(session.auth_link_url as string);
    // An account with a status and reasons set as StackOne sets them parses too (status is an open enum).
    const broken = await fetch(`${sandbox.url}/__sandbox/accounts/${String(done.accountId)}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'expired', reasons: [{ code: 'token_expired', description: 'The refresh token was revoked' }], webhook: false }),
    });
    expect(broken.status).toBe(200);
    const accounts = (await (await fetch(`${sandbox.url}/accounts`, { headers })).json()) as unknown[];
    expect(accounts.length).toBe(1);
    for (const a of accounts) {
      const parsed = LinkedAccount$inboundSchema.safeParse(a);
      expect(parsed.error?.issues).toBeUndefined();
      expect(parsed.data?.status).toBe('expired');
      expect(parsed.data?.statusReasons?.[0]).toMatchObject({ code: 'token_expired', timestamp: expect.any(Date) });
    }
    const connectors = (await (await fetch(`${sandbox.url}/connectors/meta`, { headers })).json()) as unknown[];
    for (const c of connectors) expect(ConnectorsMeta$inboundSchema.safeParse(c).success).toBe(true);
  });
});
