import { StackOne } from '@stackone/stackone-client-ts';
import { ConnectSessionCreate$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectsessioncreate';
import { ConnectSessionTokenAuthLink$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectsessiontokenauthlink';
import { LinkedAccount$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/linkedaccount';
import { ConnectorsMeta$inboundSchema } from '@stackone/stackone-client-ts/sdk/models/shared/connectorsmeta';
import { createSandbox, RECORDED_SANDBOX_KEY, Sandbox } from '../sandbox/sandbox';
import { CONNECT_SESSION_CREATE_KEYS } from '../src/stackone/stackone.types';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';
import { basicAuth } from './support/stackone-stand-in';

/**
 * The official SDK (@stackone/stackone-client-ts) is the machine-readable contract: every body this
 * service sends must parse with its schema (and carry no key outside StackOne's list, since the
 * schema strips unknown keys), and every sandbox answer must parse too.
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
    ['every field', { originUsername: 'u@c.example', provider: 'greenhouse', providerVersion: '1.2.0', categories: ['ats', 'hris'], label: 'L', multiple: true, metadata: { plan: 'gold', seats: 5, trial: false }, expiresIn: 3600, type: 'test' }],
  ])('sends %s in a shape the SDK accepts, with no key outside StackOne\'s list', async (_n, body) => {
    sandbox.reset();
    await svc.http().post('/v1/connect-sessions').set('Authorization', auth).send(body).expect(201);
    const sent = sandbox.requests.find((r) => r.method === 'POST' && r.path === '/connect_sessions')?.body as Record<string, unknown>;
    const parsed = ConnectSessionCreate$inboundSchema.safeParse(sent);
    expect(parsed.success).toBe(true);
    for (const key of Object.keys(sent)) expect(CONNECT_SESSION_CREATE_KEYS).toContain(key);
    expect(sent).toMatchObject({ origin_owner_id: 'org_c', origin_owner_name: 'Contract Co' });
  });

  it('the sandbox answers every operation in shapes the SDK parses', async () => {
    sandbox.reset();
    const sdk = new StackOne({ serverURL: sandbox.url, security: { username: TEST_STACKONE_KEY, password: '' } });

    const created = await sdk.connectSessions.createConnectSession({ originOwnerId: 'org_sdk', originOwnerName: 'SDK Org', provider: 'hibob', label: 'via sdk' });
    expect(created.connectSessionTokenAuthLink?.token).toEqual(expect.any(String));
    const raw = sandbox.requests.at(-1);
    expect(raw?.headers.authorization).toBe(RECORDED_SANDBOX_KEY);

    const authed = await sdk.connectSessions.authenticateConnectSession({ token: created.connectSessionTokenAuthLink?.token as string });
    expect(authed.connectSession?.originOwnerId).toBe('org_sdk');

    const done = await completeSession(created.connectSessionTokenAuthLink?.authLinkUrl as string);
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
    const session = (await (await fetch(`${sandbox.url}/connect_sessions`, { method: 'POST', headers, body: JSON.stringify({ origin_owner_id: 'o', origin_owner_name: 'O', provider: 'lever' }) })).json()) as { auth_link_url: string };
    expect(ConnectSessionTokenAuthLink$inboundSchema.safeParse(session).success).toBe(true);
    await completeSession(session.auth_link_url);
    const accounts = (await (await fetch(`${sandbox.url}/accounts`, { headers })).json()) as unknown[];
    expect(accounts.length).toBe(1);
    for (const a of accounts) expect(LinkedAccount$inboundSchema.safeParse(a).success).toBe(true);
    const connectors = (await (await fetch(`${sandbox.url}/connectors/meta`, { headers })).json()) as unknown[];
    for (const c of connectors) expect(ConnectorsMeta$inboundSchema.safeParse(c).success).toBe(true);
  });
});
