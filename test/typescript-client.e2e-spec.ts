import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { createConnectClient, isProblemDetails, ProblemError, unwrap } from '../clients/typescript/src';
import type { Account, ConnectClient, ConnectSession, EventList, FeedEvent, ProblemDetails, SessionStatus } from '../clients/typescript/src';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { sha256Hex, tenantToken } from './support/jwt';

/**
 * The generated client (clients/typescript) against the real service over HTTP, the service against
 * the StackOne sandbox, which completes the session on its hosted page and signs the account webhook
 * back to the service. Types are checked by `npm run typecheck` (the annotations and @ts-expect-error
 * lines below), behaviour here.
 */
const WEBHOOK_SECRET = 'whsec_client_e2e_5d2c7a91e03b';

describe('TypeScript client (clients/typescript) against the running service over the sandbox', () => {
  const tenantId = `org_client_${randomUUID().slice(0, 8)}`;
  const apiKey = `sk_client_${randomBytes(16).toString('hex')}`;
  let sandbox: Sandbox;
  let svc: TestService;
  let baseUrl: string;
  let byToken: ConnectClient;
  let byKey: ConnectClient;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    svc = await startService(sandbox.url, {
      STACKONE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      AUTH_API_KEYS: JSON.stringify([{ name: 'client-e2e', sha256: sha256Hex(apiKey), tenantId, tenantName: 'Client Acme' }]),
    });
    baseUrl = (await svc.listen()).base;
    sandbox.setWebhook({ url: `${baseUrl}/webhooks/stackone`, secret: WEBHOOK_SECRET });
    // A token source function: called for every request, as a caller with expiring tokens would.
    byToken = createConnectClient({ baseUrl, token: () => tenantToken({ org_id: tenantId, org_name: 'Client Acme', email: 'jane@client.example' }) });
    byKey = createConnectClient({ baseUrl, apiKey });
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  /** The session's status once it left pending, read through the client (bounded: the webhook is sent as the page completes). */
  async function settledStatus(sessionId: string): Promise<SessionStatus> {
    const until = Date.now() + 5_000;
    for (;;) {
      const status = unwrap(await byToken.GET('/v1/connect-sessions/{sessionId}', { params: { path: { sessionId } } }));
      if (status.status !== 'pending' || Date.now() > until) return status;
      await sleep(50);
    }
  }

  it('creates a session, sees it completed, lists the account and reads the feed', async () => {
    const created = await byToken.POST('/v1/connect-sessions', { body: { provider: 'hibob', label: 'Client HiBob' } });
    expect(created.response.status).toBe(201);
    expect(created.error).toBeUndefined();
    const session: ConnectSession = unwrap(created);
    expect(session).toMatchObject({ sessionId: expect.any(String), token: expect.any(String), authLinkUrl: expect.stringContaining(sandbox.url), accountAction: 'create' });
    expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());

    const done = await completeSession(session.authLinkUrl);
    expect([done.status, done.action]).toEqual([200, 'created']);
    const status = await settledStatus(session.sessionId);
    expect(status).toMatchObject({ sessionId: session.sessionId, status: 'completed', accountId: done.accountId, provider: 'hibob', label: 'Client HiBob' });

    // The API key bound to the same tenant sees the same account; the array query parameter is serialised as the service reads it.
    const accounts = await byKey.GET('/v1/accounts', { params: { query: { providers: ['hibob'], pageSize: 10 } } });
    expect(accounts.response.status).toBe(200);
    const page = unwrap(accounts);
    const account: Account | undefined = page.data.find((a) => a.id === done.accountId);
    expect(account).toMatchObject({ provider: 'hibob', originOwnerId: tenantId, originOwnerName: 'Client Acme', label: 'Client HiBob', status: 'active' });
    expect([page.page, page.pageSize, page.hasMore]).toEqual([1, 10, false]);

    const feed: EventList = unwrap(await byToken.GET('/v1/events'));
    const ofSession = feed.data.filter((e: FeedEvent) => e.data.accountId === done.accountId);
    expect(ofSession.map((e) => e.type)).toEqual(['account.created', 'connect_session.completed']);
    expect(ofSession[1].data).toMatchObject({ tenantId, sessionId: session.sessionId, status: 'completed', provider: 'hibob' });
    expect(feed.nextCursor).toBe(feed.data[feed.data.length - 1].id);
    // Read on from the cursor: nothing new, the cursor stays.
    const after = unwrap(await byToken.GET('/v1/events', { params: { query: { after: feed.nextCursor ?? undefined } } }));
    expect(after).toEqual({ data: [], nextCursor: feed.nextCursor });
  });

  it('returns an invalid request as a typed problem+json error, one message per field', async () => {
    const res = await byToken.POST('/v1/connect-sessions', { body: { provider: 'hibob', expiresIn: 999_999_999 } });
    expect(res.response.status).toBe(400);
    expect(res.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.data).toBeUndefined();
    const problem: ProblemDetails | undefined = res.error;
    expect(problem).toMatchObject({ status: 400, instance: '/v1/connect-sessions', requestId: res.response.headers.get('x-request-id') });
    expect(problem?.errors?.map((e) => e.field)).toEqual(['expiresIn']);

    // unwrap() throws it as a ProblemError carrying the same details.
    const feed = await byKey.GET('/v1/events', { params: { query: { limit: 0 } } });
    let thrown: unknown;
    try {
      unwrap(feed);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).status).toBe(400);
    expect((thrown as ProblemError).problem.errors?.map((e) => e.field)).toEqual(['limit']);
  });

  it('answers a wrong API key with a 401 problem that echoes no key', async () => {
    const wrongKey = `sk_client_${randomBytes(16).toString('hex')}`;
    const res = await createConnectClient({ baseUrl, apiKey: wrongKey }).GET('/v1/events');
    expect(res.response.status).toBe(401);
    expect(isProblemDetails(res.error)).toBe(true);
    expect(JSON.stringify(res.error)).not.toContain(wrongKey);
  });

  it('aborts a request the server does not answer within timeoutMs, and refuses ambiguous credentials', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const stalled = createConnectClient({ baseUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`, apiKey, timeoutMs: 200 });
      await expect(stalled.GET('/v1/events')).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    expect(() => createConnectClient({ baseUrl, apiKey, token: 'both' })).toThrow(/exactly one of `token` and `apiKey`/);
    expect(() => createConnectClient({ baseUrl })).toThrow(/exactly one of `token` and `apiKey`/);
  });

  it('is typed from the document (checked by npm run typecheck)', () => {
    // Only compiled: each line is a mistake the generated types must reject.
    const typeErrors = (): void => {
      // @ts-expect-error no such route in the document
      void byToken.GET('/v1/sessions', {});
      // @ts-expect-error the path parameter is required
      void byToken.GET('/v1/connect-sessions/{sessionId}', {});
      // @ts-expect-error expiresIn is a number
      void byToken.POST('/v1/connect-sessions', { body: { expiresIn: 'soon' } });
      // @ts-expect-error a feed event's type is one of five names
      const _type: FeedEvent['type'] = 'account.renamed';
    };
    expect(typeof typeErrors).toBe('function');
  });
});
