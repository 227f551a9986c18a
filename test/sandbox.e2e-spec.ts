import { join } from 'node:path';
import { createSandbox, RECORDED_OTHER_CREDENTIAL, RECORDED_SANDBOX_KEY, Sandbox } from '../sandbox/sandbox';
import { freePort, launchNode } from './support/processes';
import { basicAuth } from './support/stackone-stand-in';

const KEY = 'sandbox-e2e-key';
const basic = basicAuth(KEY);

describe("the sandbox's connect-session ids", () => {
  const createSession = async (sandbox: Sandbox): Promise<number> => {
    const res = await fetch(`${sandbox.url}/connect_sessions`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ origin_owner_id: 'org_ids', origin_owner_name: 'Ids Inc', provider: 'hibob' }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: number }).id;
  };

  it('are numbers that grow within a run and are not reused by a sandbox started after it (with Redis, an old session "1" was read as the new one)', async () => {
    const first = await createSandbox({ apiKey: KEY });
    let firstRun: number[];
    try {
      firstRun = [await createSession(first), await createSession(first)];
    } finally {
      await first.close();
    }
    // The sandbox restarted: a new one, as `npm run start:sandbox` would start again.
    await new Promise((r) => setTimeout(r, 2));
    const second = await createSandbox({ apiKey: KEY });
    try {
      const secondRun = await createSession(second);
      expect(firstRun.every((id) => Number.isSafeInteger(id))).toBe(true);
      expect(firstRun[1]).toBeGreaterThan(firstRun[0]);
      expect(firstRun).not.toContain(secondRun);
      expect(secondRun).toBeGreaterThan(firstRun[1]);
    } finally {
      await second.close();
    }
  });
});

describe('the StackOne sandbox, as a newcomer meets it', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: KEY });
  });
  afterEach(() => sandbox.reset());
  afterAll(async () => {
    await sandbox.close();
  });

  it("serves every connector's logo_url as a PNG, a different one per provider", async () => {
    const meta = (await (await fetch(`${sandbox.url}/connectors/meta`, { headers: { authorization: basic } })).json()) as {
      provider: string;
      resources: { images: { logo_url: string } };
    }[];
    expect(meta.length).toBeGreaterThan(1);
    const bodies = new Set<string>();
    for (const m of meta) {
      const res = await fetch(m.resources.images.logo_url);
      expect([m.provider, res.status, res.headers.get('content-type')]).toEqual([m.provider, 200, 'image/png']);
      const png = Buffer.from(await res.arrayBuffer());
      expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([32, 32]);
      bodies.add(png.toString('base64'));
    }
    expect(bodies.size).toBe(meta.length);
    expect((await fetch(`${sandbox.url}/__sandbox/logos/not-a-provider.png`)).status).toBe(404);
  });

  it('records which credential a request carried, never its value (a real StackOne key sent here by mistake stays private)', async () => {
    const realKey = basicAuth('sk_live_real_stackone_key_by_mistake');
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: realKey } })).status).toBe(401);
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).status).toBe(200);
    const listed = await (await fetch(`${sandbox.url}/__sandbox/requests`)).text();
    expect(sandbox.requests.map((r) => r.headers.authorization)).toEqual([RECORDED_OTHER_CREDENTIAL, RECORDED_SANDBOX_KEY]);
    for (const secret of [realKey, basic, realKey.slice('Basic '.length), basic.slice('Basic '.length)]) expect(listed).not.toContain(secret);
  });

  it('answers /favicon.ico without asking for the API key, and does not record it as an API call', async () => {
    const res = await fetch(`${sandbox.url}/favicon.ico`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(sandbox.requests).toEqual([]);
  });

  it.each([{ connectionReset: true }, { reset: true }])('drops the connection for the fault %j (reset is the old name)', async (fault) => {
    const injected = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: '/accounts', ...fault }),
    });
    expect(injected.status).toBe(204);
    await expect(fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).rejects.toThrow();
    expect((await fetch(`${sandbox.url}/accounts`, { headers: { authorization: basic } })).status).toBe(200);
  });
});

describe('npm run start:sandbox (dist-sandbox/sandbox/main.js)', () => {
  async function banner(env: Record<string, string>): Promise<string> {
    const sandbox = await launchNode([join(__dirname, '..', 'dist-sandbox', 'sandbox', 'main.js')], {
      env: { SANDBOX_PORT: String(await freePort()), ...env },
      readyOutput: /control API/,
    });
    await sandbox.stop();
    await sandbox.closed;
    return sandbox.output();
  }

  it('says which API key it accepts by default', async () => {
    expect(await banner({})).toContain('accepts API key: sandbox-api-key (the default; SANDBOX_API_KEY sets another)');
  }, 30_000);

  it('says where it sends webhooks without echoing the secret, and refuses a URL without a secret', async () => {
    const out = await banner({ SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9/webhooks/stackone', SANDBOX_WEBHOOK_SECRET: 'whsec_banner_secret_1234' });
    expect(out).toContain('sends signed account webhooks to http://127.0.0.1:9/webhooks/stackone');
    expect(out).not.toContain('whsec_banner_secret_1234');
    expect(await banner({})).toContain('sends no webhooks');
    const refused = await launchNode([join(__dirname, '..', 'dist-sandbox', 'sandbox', 'main.js')], { env: { SANDBOX_PORT: String(await freePort()), SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9/x' } });
    expect(await refused.closed).toBe(1);
    expect(refused.output()).toContain('SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET go together');
  }, 30_000);

  it('does not echo a key chosen with SANDBOX_API_KEY', async () => {
    const out = await banner({ SANDBOX_API_KEY: 'my-chosen-sandbox-key' });
    expect(out).toContain('accepts API key: the value of SANDBOX_API_KEY');
    expect(out).not.toContain('my-chosen-sandbox-key');
  }, 30_000);
});
