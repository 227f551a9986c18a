import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { DEFAULT_SANDBOX_API_KEY } from '../sandbox/sandbox';
import type { SandboxAccount } from '../sandbox/store';
import { describeWithBrowser, launchChromium, LaunchedBrowser } from './support/browser';
import { DemoProcess, startDemo } from './support/demo-process';
import { completeSession } from './support/hosted-page';

const artifacts = join(__dirname, '..', 'artifacts', 'hub');

interface HubSuccess {
  id: string;
  provider: string;
}

/**
 * StackOne's real <stackone-hub> (the installed @stackone/hub bundle) on the demo's example product
 * page, in Debian's Chromium, against the sandbox: what a user of a product built on this service
 * sees. Every outcome is checked in the sandbox's state and the service's APIs, not only in the
 * hub's `success` event (the bundle reports some refusals as success). Screenshots: artifacts/hub/.
 */
describeWithBrowser("StackOne's hub on the example product page", () => {
  let demo: DemoProcess;
  let chrome: LaunchedBrowser;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    [demo, chrome] = await Promise.all([startDemo(), launchChromium()]);
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  /** Every URL the page loads, to prove the whole thing stays on this machine (no CDN, no logo host). */
  let loaded: string[];

  async function productPage(query = ''): Promise<Page> {
    const page = await chrome.context.newPage();
    loaded = [];
    page.on('request', (r) => loaded.push(r.url()));
    // The hub's `success` event (bubbles, composed), kept for the test to read. (Strings: this project compiles without the DOM lib.)
    await page.addInitScript({ content: "document.addEventListener('success', function (e) { window.hubSuccess = e.detail; }, true);" });
    await page.goto(`${demo.pageUrl}/${query}`);
    return page;
  }

  const hubOf = (page: Page): Locator => page.locator('stackone-hub');
  const successOf = async (page: Page): Promise<HubSuccess> => {
    await page.waitForFunction('window.hubSuccess !== undefined');
    return page.evaluate<HubSuccess>('window.hubSuccess');
  };
  const service = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${demo.base}${path}`, { headers: { authorization: `Bearer ${demo.acmeToken}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const sandboxAccount = async (id: string): Promise<SandboxAccount | undefined> =>
    ((await (await fetch(`${demo.sandboxUrl}/__sandbox/accounts`)).json()) as SandboxAccount[]).find((a) => a.id === id);
  const onlyLocal = (): void => {
    const origins = new Set(loaded.filter((u) => /^https?:/.test(u)).map((u) => new URL(u).origin));
    expect([...origins].sort()).toEqual([new URL(demo.pageUrl).origin, new URL(demo.sandboxUrl).origin].sort());
  };

  /** After `success`: the page reads the session completed and lists the account, as the service does. */
  async function expectConnected(page: Page, success: HubSuccess, provider: string): Promise<void> {
    expect(success.provider).toBe(provider);
    await page.locator('[data-testid=session-status]').filter({ hasText: 'completed' }).waitFor();
    expect(await page.locator('[data-testid=session-account]').innerText()).toBe(success.id);
    await page.locator(`[data-testid=account-row][data-account-id="${success.id}"]`).waitFor();
    const sessionId = await page.locator('[data-testid=session-session]').innerText();
    expect(await service(`/v1/connect-sessions/${sessionId}`)).toMatchObject({ status: 'completed', accountId: success.id });
    const accounts = await service<{ data: { id: string; provider: string; originOwnerId: string }[] }>('/v1/accounts');
    expect(accounts.data).toContainEqual(expect.objectContaining({ id: success.id, provider, originOwnerId: 'org_acme' }));
  }

  it('connects an HR system: Connect → the hub lists the sandbox’s HR connectors → pick → form → success → completed session and the account', async () => {
    const page = await productPage();
    await page.locator('[data-testid=connect-hr]').click();
    const hub = hubOf(page);
    await hub.getByText('BambooHR').waitFor();
    for (const name of ['HiBob', 'Personio', 'Workday']) await expect(hub.getByText(name, { exact: true }).count()).resolves.toBe(1);
    // The session asked for HR systems only.
    expect(await hub.getByText('Greenhouse').count()).toBe(0);
    await page.screenshot({ path: join(artifacts, '1-hub-lists-connectors.png') });

    await hub.getByText('HiBob', { exact: true }).click();
    await hub.locator('input[name=username]').fill('jane.admin');
    await hub.locator('input[name=api_key]').fill('made-up-hibob-key');
    await page.screenshot({ path: join(artifacts, '2-hub-credentials-form.png') });
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    await hub.getByText('Connection Successful').waitFor();
    const success = await successOf(page);
    await expectConnected(page, success, 'hibob');
    // The service relayed both events, signed, to the page's backend ("your internal service"), which verified them.
    const created = page.locator('[data-testid=event-row][data-type="account.created"]').filter({ hasText: success.id });
    const completed = page.locator('[data-testid=event-row][data-type="connect_session.completed"]');
    await Promise.all([created.waitFor(), completed.waitFor()]);
    expect(await completed.innerText()).toContain(`session ${await page.locator('[data-testid=session-session]').innerText()}`);
    await page.screenshot({ path: join(artifacts, '3-hub-connected-session-completed.png'), fullPage: true });
    expect(await sandboxAccount(success.id)).toMatchObject({ provider: 'hibob', origin_owner_id: 'org_acme', credentials: { username: 'jane.admin', api_key: 'made-up-hibob-key' } });
    onlyLocal();
    await page.close();
  }, 30_000);

  it('opens straight on a preselected provider (a session for one provider): no list, the form at once', async () => {
    const page = await productPage('?provider=bamboohr');
    await page.locator('[data-testid=connect-hr]').click();
    const hub = hubOf(page);
    await hub.locator('input[name=username]').waitFor();
    expect(await hub.getByText('BambooHR').count()).toBeGreaterThan(0);
    expect(await hub.getByText('HiBob').count()).toBe(0);
    await page.screenshot({ path: join(artifacts, '4-hub-preselected-provider.png') });
    await hub.locator('input[name=username]').fill('bamboo.admin');
    await hub.locator('input[name=api_key]').fill('made-up-bamboo-key');
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    const success = await successOf(page);
    await expectConnected(page, success, 'bamboohr');
    expect((await sandboxAccount(success.id))?.credentials).toMatchObject({ username: 'bamboo.admin' });
    onlyLocal();
    await page.close();
  }, 30_000);

  it('edits an account (accountId): the secret shows masked and stays untouched, the changed field is stored', async () => {
    const created = await fetch(`${demo.base}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${demo.acmeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'personio', multiple: true }),
    });
    const done = await completeSession(((await created.json()) as { authLinkUrl: string }).authLinkUrl, { username: 'old.user', apiKey: 'the-personio-secret' });
    const accountId = done.accountId as string;

    const page = await productPage();
    // Everything the sandbox answered the hub, and what the hub sent: the secret must be in none of it.
    const answers: Promise<string>[] = [];
    const sent: string[] = [];
    page.on('response', (r) => {
      if (r.url().startsWith(`${demo.sandboxUrl}/hub/`) && r.request().method() !== 'OPTIONS') answers.push(r.text());
    });
    page.on('request', (r) => {
      if (r.method() === 'PATCH') sent.push(r.postData() ?? '');
    });
    await page.locator(`[data-testid=edit-account][data-account-id="${accountId}"]`).click();
    const hub = hubOf(page);
    const username = hub.locator('input[name=username]');
    await username.waitFor();
    expect(await username.inputValue()).toBe('old.user');
    const masked = hub.locator('input[name=api_key-display]');
    expect(await masked.inputValue()).toMatch(/^•+$/);
    await page.screenshot({ path: join(artifacts, '5-hub-edit-masked-secret.png') });

    await username.fill('new.user');
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    const success = await successOf(page);
    expect(success.id).toBe(accountId);
    const bodies = await Promise.all(answers);
    expect(bodies.some((b) => b.includes('__secretvalue:**redacted**'))).toBe(true);
    for (const body of bodies) expect(body).not.toContain('the-personio-secret');
    expect(sent.map((b) => JSON.parse(b) as unknown)).toEqual([{ integration_id: 'int-personio', credentials: { username: 'new.user' } }]);
    // The bundle shows success even for a refused PATCH: the sandbox's state is what counts.
    expect((await sandboxAccount(accountId))?.credentials).toMatchObject({ username: 'new.user', api_key: 'the-personio-secret' });
    await expectConnected(page, success, 'personio');
    onlyLocal();
    await page.close();
  }, 30_000);

  it('reconnects a broken account: broken with its reason and "Reconnect" → the hub in edit mode → healthy, and the internal services were told account.broken and account.recovered', async () => {
    const page = await productPage('?provider=lever');
    await page.locator('[data-testid=connect-hr]').click();
    const hub = hubOf(page);
    await hub.locator('input[name=username]').fill('lever.admin');
    await hub.locator('input[name=api_key]').fill('made-up-lever-key');
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    const connected = await successOf(page);
    await expectConnected(page, connected, 'lever');
    const row = page.locator(`[data-testid=account-row][data-account-id="${connected.id}"]`);
    await row.locator('[data-testid=account-health][data-state=healthy]').waitFor();
    expect(await row.locator('[data-testid=reconnect-account]').count()).toBe(0);
    // The hub's Close (after a success) takes it off the page.
    await hub.getByRole('button', { name: 'Close', exact: true }).click();
    await hub.waitFor({ state: 'detached' });

    // StackOne finds the token expired and says account.updated (the sandbox's control, signed webhook).
    const broke = await fetch(`${demo.sandboxUrl}/__sandbox/accounts/${connected.id}/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'expired', reasons: [{ code: 'token_expired', description: 'The refresh token was revoked' }], webhook: true }),
    });
    expect(await broke.json()).toMatchObject({ changed: true, webhook: true });
    // The open page notices by itself (it reads the accounts again every few seconds).
    await row.locator('[data-testid=account-health][data-state=broken]').waitFor();
    expect(await row.locator('[data-testid=account-reasons]').innerText()).toBe('token_expired: The refresh token was revoked');
    const reconnect = row.locator('[data-testid=reconnect-account]');
    expect(await reconnect.innerText()).toBe('Reconnect');
    expect(await row.locator('[data-testid=edit-account]').count()).toBe(0);
    await page.locator('[data-testid=event-row][data-type="account.broken"]').filter({ hasText: connected.id }).waitFor();
    await page.screenshot({ path: join(artifacts, '11-account-broken-reconnect.png'), fullPage: true });

    // Reconnect: a re-link session for this account, the hub on its edit page.
    await page.evaluate('window.hubSuccess = undefined');
    await reconnect.click();
    const username = hub.locator('input[name=username]');
    await username.waitFor();
    expect(await username.inputValue()).toBe('lever.admin');
    await username.fill('lever.reconnected');
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    const relinked = await successOf(page);
    expect(relinked.id).toBe(connected.id);
    await row.locator('[data-testid=account-health][data-state=healthy]').waitFor();
    expect(await row.locator('[data-testid=account-reasons]').count()).toBe(0);
    await expectConnected(page, relinked, 'lever');
    expect(await sandboxAccount(connected.id)).toMatchObject({ status: 'active', status_reasons: [], credentials: { username: 'lever.reconnected', api_key: 'made-up-lever-key' } });
    expect(await service(`/v1/accounts/${connected.id}`)).toMatchObject({ status: 'active', health: { state: 'healthy', reasons: [] } });

    const told = (type: string): Locator => page.locator(`[data-testid=event-row][data-type="${type}"]`).filter({ hasText: connected.id });
    await Promise.all([told('account.broken').waitFor(), told('account.recovered').waitFor()]);
    expect([await told('account.broken').count(), await told('account.recovered').count()]).toEqual([1, 1]);
    expect(await told('account.broken').innerText()).toContain('expired (token_expired)');
    expect(await told('account.recovered').innerText()).toMatch(/broken for \d+ s/);
    await page.screenshot({ path: join(artifacts, '12-account-reconnected-healthy.png'), fullPage: true });
    onlyLocal();
    await page.close();
  }, 60_000);

  it('connects an OAuth provider through the popup: consent → the attempt is authenticated → success', async () => {
    const page = await productPage('?provider=hubspot');
    await page.locator('[data-testid=connect-hr]').click();
    const hub = hubOf(page);
    const connect = hub.getByRole('button', { name: 'Connect', exact: true });
    await connect.waitFor();
    const [popup] = await Promise.all([page.waitForEvent('popup'), connect.click()]);
    await popup.locator('[data-testid=consent-title]').waitFor();
    expect(await popup.locator('[data-testid=consent-title]').innerText()).toContain('HubSpot');
    await popup.screenshot({ path: join(artifacts, '6-oauth-consent-popup.png') });
    await popup.locator('[data-testid=consent-allow]').click();
    const success = await successOf(page);
    await expectConnected(page, success, 'hubspot');
    expect((await sandboxAccount(success.id))?.credentials).toMatchObject({ access_token: expect.stringMatching(/^at_/) });
    await page.screenshot({ path: join(artifacts, '7-oauth-connected.png'), fullPage: true });
    onlyLocal();
    await page.close();
  }, 30_000);

  it('shows the OAuth error the provider gave (a sandbox fault on the consent) and connects nothing', async () => {
    const before = ((await (await fetch(`${demo.sandboxUrl}/__sandbox/accounts`)).json()) as SandboxAccount[]).length;
    await fetch(`${demo.sandboxUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ oauth: { status: 'error', code: 'invalid_grant', description: 'Salesforce refused the token exchange' } }),
    });
    const page = await productPage('?provider=salesforce');
    await page.locator('[data-testid=connect-hr]').click();
    const connect = hubOf(page).getByRole('button', { name: 'Connect', exact: true });
    await connect.waitFor();
    const [popup] = await Promise.all([page.waitForEvent('popup'), connect.click()]);
    await popup.locator('[data-testid=consent-allow]').click();
    await hubOf(page).getByText('Salesforce refused the token exchange').waitFor();
    await page.screenshot({ path: join(artifacts, '8-oauth-error.png') });
    expect(await page.evaluate('window.hubSuccess')).toBeUndefined();
    expect(((await (await fetch(`${demo.sandboxUrl}/__sandbox/accounts`)).json()) as SandboxAccount[]).length).toBe(before);
    onlyLocal();
    await page.close();
  }, 30_000);

  it('shows the hub’s error state for an expired token', async () => {
    const res = await fetch(`${demo.sandboxUrl}/connect_sessions`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${DEFAULT_SANDBOX_API_KEY}:`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ origin_owner_id: 'org_acme', origin_owner_name: 'Acme Inc', expires_in: 1 }),
    });
    const { token } = (await res.json()) as { token: string };
    await new Promise((r) => setTimeout(r, 1_100));
    const page = await productPage();
    // Mounted as the page mounts it, with a token that has expired since.
    await page.evaluate(
      `(function () { var hub = document.createElement('stackone-hub'); hub.setAttribute('token', ${JSON.stringify(token)});` +
        ` hub.setAttribute('base-url', ${JSON.stringify(demo.sandboxUrl)}); document.getElementById('hub-host').replaceChildren(hub); })()`,
    );
    await hubOf(page).getByText('No configured integrations available.').waitFor();
    await page.screenshot({ path: join(artifacts, '9-hub-expired-token.png') });
    onlyLocal();
    await page.close();
  }, 30_000);

  it('shows StackOne’s error message and the provider’s response for wrong credentials, and connects nothing', async () => {
    const before = ((await (await fetch(`${demo.sandboxUrl}/__sandbox/accounts`)).json()) as SandboxAccount[]).length;
    await fetch(`${demo.sandboxUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'POST', path: '/hub/accounts', status: 400, message: 'Invalid credentials for Workday', providerResponse: 'The API key was rejected by Workday' }),
    });
    const page = await productPage('?provider=workday');
    await page.locator('[data-testid=connect-hr]').click();
    const hub = hubOf(page);
    await hub.locator('input[name=username]').fill('jane.admin');
    await hub.locator('input[name=api_key]').fill('wrong-key');
    await hub.getByRole('button', { name: 'Connect', exact: true }).click();
    await hub.getByText('Invalid credentials for Workday').waitFor();
    // The hub shows the provider's response under the message, folded.
    await hub.getByRole('button', { name: 'Expand' }).click();
    await hub.getByText('The API key was rejected by Workday').waitFor();
    await page.screenshot({ path: join(artifacts, '10-hub-wrong-credentials.png') });
    expect(await page.evaluate('window.hubSuccess')).toBeUndefined();
    expect(((await (await fetch(`${demo.sandboxUrl}/__sandbox/accounts`)).json()) as SandboxAccount[]).length).toBe(before);
    onlyLocal();
    await page.close();
  }, 30_000);
});
