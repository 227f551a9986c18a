import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describeWithBrowser, launchChromium, LaunchedBrowser } from './support/browser';
import { DemoProcess, startDemo } from './support/demo-process';

const artifacts = join(__dirname, '..', 'artifacts', 'browser');
/** A name that is not localhost, resolved by Chromium to the loopback demo (see launchChromium). */
const NON_LOCAL_HOST = 'connect-service.test';

/**
 * A person's walk through the demo in real Chromium: Swagger UI → Authorize with the demo token →
 * Try it out on POST /v1/connect-sessions → open the authLinkUrl → complete the hosted form → see
 * the account in GET /v1/accounts. Screenshots land in artifacts/browser/.
 */
describeWithBrowser('the whole flow in a real browser', () => {
  let demo: DemoProcess;
  let chrome: LaunchedBrowser;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    demo = await startDemo();
    chrome = await launchChromium({ hostResolverRules: `MAP ${NON_LOCAL_HOST} 127.0.0.1` });
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await demo?.stop();
  });

  async function tryItOut(page: Page, operationId: string, body?: string): Promise<{ status: string; json: unknown }> {
    const op = page.locator(`#operations-${operationId}`);
    await op.locator('.opblock-summary').first().click();
    await op.locator('button.try-out__btn').click();
    if (body !== undefined) await op.locator('textarea.body-param__text').fill(body);
    await op.locator('button.execute').click();
    const row = op.locator('.live-responses-table tbody tr.response').first();
    await row.waitFor();
    const status = (await row.locator('.response-col_status').innerText()).trim();
    const text = await row.locator('.response-col_description pre.microlight').first().innerText();
    return { status, json: JSON.parse(text) as unknown };
  }

  async function authorize(page: Page): Promise<void> {
    await page.locator('.auth-wrapper button.authorize').click();
    const bearer = page.locator('.modal-ux .auth-container').filter({ hasText: 'bearer' }).first();
    await bearer.locator('input').fill(demo.acmeToken);
    await bearer.locator('button.authorize').click();
    await page.locator('.modal-ux button.btn-done').first().click();
  }

  it('renders Swagger UI over plain HTTP at a non-localhost name, and its default example succeeds as-is', async () => {
    const page = await chrome.context.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    const docs = await page.goto(`http://${NON_LOCAL_HOST}:${new URL(demo.base).port}/docs`);
    expect(docs?.status()).toBe(200);
    expect(docs?.headers()['content-security-policy']).not.toContain('upgrade-insecure-requests');
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 10_000 });
    expect(failed).toEqual([]);

    await authorize(page);
    const op = page.locator('#operations-connect-sessions-ConnectSessionsController_create');
    const created = await tryItOut(page, 'connect-sessions-ConnectSessionsController_create');
    await page.screenshot({ path: join(artifacts, '0-swagger-ui-default-example.png') });
    expect(created.status).toBe('201');
    expect(created.json).toMatchObject({ originOwnerId: 'org_acme', token: expect.any(String), label: 'Acme HR' });
    expect(await op.locator('.examples-select select option').allInnerTexts()).toEqual(
      expect.arrayContaining(['New connection', 'Re-link an account']),
    );
  }, 60_000);

  it('creates a session in Swagger UI, completes the hosted page and shows the account', async () => {
    const page = await chrome.context.newPage();
    await page.goto(`${demo.base}/docs`);
    await page.locator('.swagger-ui .info .title').waitFor();
    await authorize(page);

    const created = await tryItOut(
      page,
      'connect-sessions-ConnectSessionsController_create',
      JSON.stringify({ provider: 'hibob', label: 'Connected from Swagger UI' }),
    );
    await page.screenshot({ path: join(artifacts, '1-swagger-ui-connect-session.png'), fullPage: false });
    expect(created.status).toBe('201');
    const session = created.json as { authLinkUrl: string; originOwnerId: string; accountAction: string };
    expect(session).toMatchObject({ originOwnerId: 'org_acme', accountAction: 'create' });

    const hosted = await chrome.context.newPage();
    const consoleErrors: string[] = [];
    hosted.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await hosted.goto(session.authLinkUrl);
    await hosted.locator('[data-testid=username]').fill('jane.admin');
    await hosted.locator('[data-testid=api-key]').fill('made-up-hibob-key');
    await hosted.screenshot({ path: join(artifacts, '2-hosted-connect-page.png') });
    await hosted.locator('[data-testid=connect-submit]').click();
    const accountId = (await hosted.locator('[data-testid=account-id]').innerText()).trim();
    expect(await hosted.locator('[data-testid=account-action]').innerText()).toBe('created');
    await hosted.screenshot({ path: join(artifacts, '3-hosted-connected.png') });
    // e.g. a favicon request answered 401 would show here.
    expect(consoleErrors).toEqual([]);

    await page.bringToFront();
    const listed = await tryItOut(page, 'accounts-AccountsController_list');
    await page.screenshot({ path: join(artifacts, '4-swagger-ui-accounts.png') });
    expect(listed.status).toBe('200');
    expect(listed.json).toEqual({
      data: [expect.objectContaining({ id: accountId, provider: 'hibob', originOwnerId: 'org_acme', label: 'Connected from Swagger UI' })],
      page: 1,
      pageSize: 25,
      hasMore: false,
    });
  }, 60_000);
});
