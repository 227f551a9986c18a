import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DemoProcess, startDemo } from './support/demo-process';

const exec = promisify(execFile);

/** `npm run demo` runs dist/demo.js: the printed curl line must return a token. */
describe('the demo (dist/demo.js)', () => {
  let demo: DemoProcess;
  beforeAll(async () => {
    demo = await startDemo();
  }, 30_000);
  afterAll(async () => {
    await demo?.stop();
  });

  it('prints the Swagger UI address, two tenant tokens and a curl line that returns a token', async () => {
    expect(demo.base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(demo.acmeToken.split('.')).toHaveLength(3);
    expect(demo.globexToken).not.toBe(demo.acmeToken);
    const { stdout } = await exec('bash', ['-c', demo.curlLine]);
    const body = JSON.parse(stdout);
    expect(body).toMatchObject({ token: expect.any(String), originOwnerId: 'org_acme', originOwnerName: 'Acme Inc', provider: 'hibob' });
    expect(body.authLinkUrl).toContain(demo.sandboxUrl);
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
