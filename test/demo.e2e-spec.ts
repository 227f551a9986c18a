import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { createServer, Server } from 'node:net';
import { DemoProcess, runDemoUntilExit, startDemo } from './support/demo-process';
import { completeSession } from './support/hosted-page';
import { counterValue } from './support/metrics';
import { freePort } from './support/processes';

const exec = promisify(execFile);

/** `npm run demo` runs dist-demo/demo/main.js: the printed curl line must return a token. */
describe('the demo (dist-demo/demo/main.js)', () => {
  let demo: DemoProcess;
  beforeAll(async () => {
    demo = await startDemo();
  }, 30_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it('prints the Swagger UI address, two tenant tokens as export lines, and a curl line that returns a token once the export line is pasted', async () => {
    expect(demo.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.acmeToken.split('.')).toHaveLength(3);
    expect(demo.globexToken.split('.')).toHaveLength(3);
    expect(demo.globexToken).not.toBe(demo.acmeToken);
    expect(demo.exportLine).toBe(`export TOKEN=${demo.acmeToken}`);
    // What a newcomer does: paste the export line, then the curl line (which uses $TOKEN).
    expect(demo.curlLine).toContain('"Authorization: Bearer $TOKEN"');
    const { stdout } = await exec('bash', ['-c', `${demo.exportLine}\n${demo.curlLine}`]);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ token: expect.any(String), originOwnerId: 'org_acme', originOwnerName: 'Acme Inc', provider: 'hibob' });
    expect(body.authLinkUrl).toContain(demo.sandboxUrl);
  });

  it('wires the sandbox to the service: completing the hosted page delivers a signed account.created that completes the session', async () => {
    const metric = async (): Promise<number> =>
      counterValue(await (await fetch(`${demo.base}/metrics`)).text(), 'stackone_webhooks_received_total', { event: 'account.created', outcome: 'accepted' });
    const before = await metric();
    const session = await fetch(`${demo.base}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.acmeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'bamboohr' }),
    });
    const { sessionId, authLinkUrl } = (await session.json()) as { sessionId: string; authLinkUrl: string };
    const done = await completeSession(authLinkUrl);
    expect([done.status, done.action]).toEqual([200, 'created']);
    expect(await metric()).toBe(before + 1);
    // What the banner tells the user to run next: the session reads completed with the new account.
    const status = await fetch(`${demo.base}/v1/connect-sessions/${sessionId}`, { headers: { authorization: `Bearer ${demo.acmeToken}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ sessionId, status: 'completed', provider: 'bamboohr', accountId: done.accountId, completedAt: expect.any(String) });
    expect(demo.output()).toContain(`${demo.base}/webhooks/stackone`);
    expect(demo.output()).toContain(`curl -sS ${demo.base}/v1/connect-sessions/<sessionId> -H "Authorization: Bearer $TOKEN"`);

    // The service relays both events, signed, to the product page's backend (the demo's subscriber), which verified them.
    type Received = { webhookId: string; type: string; data: { accountId?: string; sessionId?: string } };
    const received = async (): Promise<Received[]> => ((await (await fetch(`${demo.pageUrl}/api/internal-events`)).json()) as { data: Received[] }).data;
    const relayed = async (): Promise<string[]> =>
      (await received()).filter((e) => e.data.accountId === done.accountId || e.data.sessionId === sessionId).map((e) => e.type).sort();
    for (let i = 0; i < 50 && (await relayed()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await relayed()).toEqual(['account.created', 'connect_session.completed']);
    expect((await received()).every((e) => /^msg_[0-9a-f]{32}$/.test(e.webhookId))).toBe(true);
    // An unsigned or wrongly signed POST is refused and not listed.
    const forged = JSON.stringify({ type: 'account.deleted', timestamp: new Date().toISOString(), data: { tenantId: 'org_acme', accountId: done.accountId } });
    const headers = { 'content-type': 'application/json', 'webhook-id': 'msg_forged', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' };
    expect((await fetch(`${demo.pageUrl}/internal/stackone-events`, { method: 'POST', headers, body: forged })).status).toBe(401);
    expect((await received()).some((e) => e.webhookId === 'msg_forged')).toBe(false);
    expect(demo.output()).toContain(`${demo.pageUrl}/internal/stackone-events`);
  });

  it('prints the example product page first; the page serves the hub bundle from node_modules and a backend that never hands out the tenant token', async () => {
    const banner = demo.output().split('\n').filter((l) => l.trim() !== '');
    expect(banner[1]).toContain(`Example product page  ${demo.pageUrl}`);
    expect(new URL(demo.pageUrl).origin).not.toBe(new URL(demo.base).origin);

    const html = await (await fetch(demo.pageUrl)).text();
    expect(html).toContain('Connect your HR system');
    expect(html).toContain('<script src="/vendor/stackone-hub.js"></script>');
    const bundle = await fetch(`${demo.pageUrl}/vendor/stackone-hub.js`);
    expect(bundle.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(Buffer.from(await bundle.arrayBuffer()).equals(readFileSync(require.resolve('@stackone/hub/webcomponent')))).toBe(true);

    const created = await fetch(`${demo.pageUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'hibob', originOwnerId: 'org_globex' }) });
    const createdText = await created.text();
    expect(created.status).toBe(201);
    // The owner comes from the tenant's token: the page cannot ask for another one.
    expect(JSON.parse(createdText)).toMatchObject({ originOwnerId: 'org_acme', provider: 'hibob', token: expect.any(String) });
    const config = await (await fetch(`${demo.pageUrl}/api/config`)).json();
    expect(config).toEqual({ hubBaseUrl: demo.sandboxUrl });
    const accounts = await fetch(`${demo.pageUrl}/api/accounts`);
    expect(accounts.status).toBe(200);
    for (const text of [html, createdText, JSON.stringify(config), await accounts.text()]) expect(text).not.toContain(demo.acmeToken);
    const refused = await fetch(`${demo.pageUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ provider: 'not a provider!' }) });
    expect([refused.status, refused.headers.get('content-type')]).toEqual([400, expect.stringContaining('application/problem+json')]);
  });

  it('prints the curl that breaks an account: pasted after the export line, the service reads the account broken and account.broken reaches the subscriber', async () => {
    const session = await fetch(`${demo.base}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.acmeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'lever' }),
    });
    const done = await completeSession(((await session.json()) as { authLinkUrl: string }).authLinkUrl);
    expect(done.accountId).toEqual(expect.any(String));

    // The banner's lines as printed: find Acme's first account, break it through the sandbox's control.
    expect(demo.breakLines).toHaveLength(2);
    expect(demo.breakLines[1]).toContain(`${demo.sandboxUrl}/__sandbox/accounts/$ACCOUNT_ID/status`);
    const { stdout } = await exec('bash', ['-c', [demo.exportLine, ...demo.breakLines].join('\n')]);
    const answer = JSON.parse(stdout) as { changed: boolean; webhook: boolean; account: { id: string; status: string; origin_owner_id: string } };
    expect(answer).toMatchObject({ changed: true, webhook: true, account: { status: 'expired', origin_owner_id: 'org_acme' } });
    const brokenId = answer.account.id;
    const firstAccount = (await (await fetch(`${demo.base}/v1/accounts`, { headers: { authorization: `Bearer ${demo.acmeToken}` } })).json()) as { data: { id: string }[] };
    expect(brokenId).toBe(firstAccount.data[0].id);

    type Received = { type: string; data: { accountId?: string; status?: string; reasons?: { code?: string }[] } };
    const brokenEvents = async (): Promise<Received[]> =>
      ((await (await fetch(`${demo.pageUrl}/api/internal-events`)).json()) as { data: Received[] }).data.filter(
        (e) => e.type === 'account.broken' && e.data.accountId === brokenId,
      );
    for (let i = 0; i < 50 && (await brokenEvents()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const account = await fetch(`${demo.base}/v1/accounts/${brokenId}`, { headers: { authorization: `Bearer ${demo.acmeToken}` } });
    expect(account.status).toBe(200);
    expect(await account.json()).toMatchObject({ id: brokenId, status: 'expired', health: { state: 'broken', reasons: [{ code: 'token_expired', description: 'The refresh token was revoked' }] } });
    const events = await brokenEvents();
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ status: 'expired', reasons: [{ code: 'token_expired' }] });

    // The banner's ?health=broken line lists it.
    expect(demo.brokenListLine).toContain('/v1/accounts?health=broken');
    const listed = await exec('bash', ['-c', `${demo.exportLine}\n${demo.brokenListLine}`]);
    expect((JSON.parse(listed.stdout) as { data: { id: string }[] }).data.map((a) => a.id)).toContain(brokenId);
  });

  it("keeps the two demo tenants apart", async () => {
    const session = await fetch(`${demo.base}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.globexToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'greenhouse' }),
    });
    expect(session.status).toBe(201);
    expect(await session.json()).toMatchObject({ originOwnerId: 'org_globex' });
  });
});

describe('the demo on busy or chosen ports', () => {
  let busy: Server;
  let busyPort: number;
  beforeAll(async () => {
    busy = createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    busyPort = (busy.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => busy.close(() => resolve())));

  it.each([
    ['the service', 'DEMO_PORT', ['SANDBOX_PORT', 'DEMO_PAGE_PORT']],
    ['the StackOne sandbox', 'SANDBOX_PORT', ['DEMO_PORT', 'DEMO_PAGE_PORT']],
    ['the example product page', 'DEMO_PAGE_PORT', ['DEMO_PORT', 'SANDBOX_PORT']],
  ])('says when the port of %s is busy, names the variable that picks another and exits non-zero', async (what, variable, others) => {
    const free = Object.fromEntries(await Promise.all(others.map(async (o) => [o, String(await freePort())])));
    const { code, output } = await runDemoUntilExit({ [variable]: String(busyPort), ...free });
    expect(code).toBe(1);
    expect(output).toContain(`port ${busyPort} on 127.0.0.1 (${what}, set by ${variable}) is already in use`);
    expect(output).toMatch(new RegExp(`${variable}=\\d+ npm run demo`));
  }, 30_000);

  it('reports every busy port at once (not only the first), naming each variable', async () => {
    const second = createServer().listen(0, '127.0.0.1');
    await once(second, 'listening');
    const secondPort = (second.address() as { port: number }).port;
    try {
      const pagePort = await freePort();
      const { code, output } = await runDemoUntilExit({ DEMO_PORT: String(busyPort), SANDBOX_PORT: String(secondPort), DEMO_PAGE_PORT: String(pagePort) });
      expect(code).toBe(1);
      expect(output).toContain(`port ${busyPort} on 127.0.0.1 (the service, set by DEMO_PORT) is already in use`);
      expect(output).toContain(`port ${secondPort} on 127.0.0.1 (the StackOne sandbox, set by SANDBOX_PORT) is already in use`);
      expect(output).not.toContain(`port ${pagePort}`);
      expect(output).toMatch(/or pick other ports: DEMO_PORT=\d+ SANDBOX_PORT=\d+ npm run demo/);
    } finally {
      await new Promise<void>((resolve) => second.close(() => resolve()));
    }
  }, 30_000);

  it('says when one port is picked for two things', async () => {
    const port = String(await freePort());
    const { code, output } = await runDemoUntilExit({ DEMO_PORT: port, SANDBOX_PORT: port, DEMO_PAGE_PORT: String(await freePort()) });
    expect(code).toBe(1);
    expect(output).toContain(`port ${port} is picked for both the service (DEMO_PORT) and the StackOne sandbox (SANDBOX_PORT)`);
  }, 30_000);

  it('refuses a port that is not a number, naming the variable', async () => {
    const { code, output } = await runDemoUntilExit({ SANDBOX_PORT: 'forty-ten' });
    expect(code).toBe(1);
    expect(output).toContain('SANDBOX_PORT must be a port number');
  }, 30_000);

  it('serves on PORT when DEMO_PORT is unset', async () => {
    const port = await freePort();
    const demo = await startDemo(20_000, { PORT: String(port), SANDBOX_PORT: String(await freePort()), DEMO_PAGE_PORT: String(await freePort()) });
    try {
      expect(demo.base).toBe(`http://127.0.0.1:${port}`);
      expect((await fetch(`${demo.base}/health/live`)).status).toBe(200);
    } finally {
      await demo.stop();
    }
  }, 30_000);
});
