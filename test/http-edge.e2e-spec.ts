import { connect, Socket } from 'node:net';
import { createSandbox, Sandbox } from '../sandbox/sandbox';
import { startService, TestService } from './support/app';
import { TEST_STACKONE_KEY } from './support/config';
import { completeSession } from './support/hosted-page';
import { bearer } from './support/jwt';

const PROBLEM = 'application/problem+json';

const tenant = (org: string, name: string): Promise<string> => bearer({ org_id: org, org_name: name, email: `admin@${org}.example` });

/** Boots the app and listens on a free loopback port (raw sockets and fetch need a real server). */
async function listening(sandbox: Sandbox, env: Record<string, string> = {}): Promise<{ svc: TestService; base: string; port: number }> {
  const svc = await startService(sandbox.url, { RATE_LIMIT_PER_TENANT: '10000', ...env });
  return { svc, ...(await svc.listen()) };
}

interface RawAnswer {
  head: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  closed: boolean;
  ms: number;
}

/** Writes `chunks` on a fresh socket (one per `gapMs`) and collects what comes back until the server closes or `waitMs`. */
async function rawExchange(port: number, chunks: string[], waitMs: number, gapMs = 0): Promise<RawAnswer> {
  const started = Date.now();
  const socket: Socket = connect(port, '127.0.0.1');
  let data = '';
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const closed = new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    timer = setTimeout(() => resolve(false), waitMs);
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  void (async () => {
    for (const chunk of chunks) {
      if (socket.destroyed) return;
      socket.write(chunk);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
  })();
  const didClose = await closed;
  clearTimeout(timer);
  const ms = Date.now() - started;
  socket.destroy();
  const [head, ...rest] = data.split('\r\n\r\n');
  const lines = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.slice(1).map((l) => {
      const i = l.indexOf(':');
      return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()];
    }),
  );
  return { head, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0), headers, body: rest.join('\r\n\r\n'), closed: didClose, ms };
}

describe('the HTTP edge: bodies, media types, methods, framework errors, CORS, CSP, slow clients', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let base: string;
  let port: number;
  let auth: string;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    ({ svc, base, port } = await listening(sandbox, { HTTP_CORS_ORIGINS: 'https://app.example' }));
    auth = await tenant('org_edge', 'Edge Inc');
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });
  beforeEach(() => sandbox.reset());

  const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { authorization: auth, ...(init.headers ?? {}) } });

  async function expectProblem(res: Response, status: number, detail: RegExp): Promise<Record<string, unknown>> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain(PROBLEM);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status, type: expect.stringContaining('urn:'), title: expect.any(String), requestId: expect.any(String) });
    expect(String(body.detail)).toMatch(detail);
    return body;
  }

  describe('empty JSON bodies count as no body', () => {
    it('POST /v1/connect-sessions with Content-Type: application/json and Content-Length: 0 → 201', async () => {
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
      expect(res.status).toBe(201);
      expect(await res.json()).toMatchObject({ originOwnerId: 'org_edge', token: expect.any(String) });
    });

    it('DELETE /v1/accounts/{id} with Content-Type: application/json and Content-Length: 0 → 204', async () => {
      const session = (await (await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"provider":"hibob"}' })).json()) as {
        authLinkUrl: string;
      };
      const done = await completeSession(session.authLinkUrl);
      expect(done.accountId).toEqual(expect.any(String));
      const res = await call(`/v1/accounts/${done.accountId}`, { method: 'DELETE', headers: { 'content-type': 'application/json', 'content-length': '0' } });
      expect(res.status).toBe(204);
    });
  });

  describe('media types', () => {
    it('a form-encoded body (curl -d without -H) → 415 naming application/json, nothing sent to StackOne', async () => {
      const res = await call('/v1/connect-sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'provider=hibob',
      });
      await expectProblem(res, 415, /application\/json/);
      expect(sandbox.requests).toHaveLength(0);
    });

    it.each(['text/plain', 'multipart/form-data; boundary=x', 'application/xml', 'application/merge-patch+json'])('%s → 415', async (type) => {
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': type }, body: '{"provider":"hibob"}' });
      await expectProblem(res, 415, /application\/json/);
    });

    it('a body without any Content-Type → 415', async () => {
      const answer = await rawExchange(
        port,
        [`POST /v1/connect-sessions HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"provider":"hibob"}`],
        5_000,
      );
      expect(answer.status).toBe(415);
      expect(answer.headers['content-type']).toContain(PROBLEM);
      expect(answer.body).toContain('application/json');
    });

    it('application/json with a charset parameter is accepted', async () => {
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"provider":"hibob"}' });
      expect(res.status).toBe(201);
    });

    it('a GET needs no Content-Type', async () => {
      expect((await call('/v1/providers')).status).toBe(200);
    });
  });

  describe('body shape', () => {
    it.each(['[]', '[{"provider":"hibob"}]', '"hibob"', '42', 'true', 'null'])('%s as the body → 400 "must be a JSON object"', async (body) => {
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const problem = await expectProblem(res, 400, /must be a JSON object/);
      expect(JSON.stringify(problem)).not.toContain('property 0');
    });

    it.each([
      ['POST', '/v1/connect-sessions'],
      ['PATCH', '/v1/accounts/acc_1'],
    ])('deeply nested JSON on %s %s → 400 before validation, no error log', async (method, path) => {
      const depth = 3_000;
      const body = `{"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      expect(body.length).toBeLessThan(16_384);
      const res = await call(path, { method, headers: { 'content-type': 'application/json' }, body });
      await expectProblem(res, 400, /nested more than 32 levels/);
      expect(svc.logs.text()).not.toContain('Maximum call stack');
      expect(svc.logs.parsed().filter((l) => l.level === 'error' || l.level === 50)).toEqual([]);
    });

    it('nesting up to the limit is left to validation (a flat metadata rule, not the parser)', async () => {
      const body = `{"metadata":{"a":${'['.repeat(30)}${']'.repeat(30)}}}`;
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const problem = await expectProblem(res, 400, /./);
      expect(problem.errors).toEqual([expect.objectContaining({ field: 'metadata' })]);
    });

    it('still refuses a body over the limit with 413 and broken JSON with 400', async () => {
      const big = JSON.stringify({ label: 'x'.repeat(20_000) });
      await expectProblem(await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big }), 413, /larger/);
      await expectProblem(await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"provider":' }), 400, /JSON/);
    });

    it('still refuses __proto__ keys, naming them as reserved keys rather than calling the JSON invalid', async () => {
      const res = await call('/v1/connect-sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"admin":true}}' });
      const problem = await expectProblem(res, 400, /reserved key names \(__proto__\)/);
      expect(problem.errors).toEqual([{ field: '__proto__', message: expect.stringMatching(/reserved key name/) }]);
    });
  });

  describe('methods', () => {
    it.each([
      ['PUT', '/v1/accounts/acc_1', ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH']],
      ['POST', '/v1/accounts', ['GET', 'HEAD', 'OPTIONS']],
      ['DELETE', '/v1/connect-sessions', ['GET', 'HEAD', 'OPTIONS', 'POST']],
      ['POST', '/v1/connect-sessions/1', ['GET', 'HEAD', 'OPTIONS']],
      ['DELETE', '/v1/providers', ['GET', 'HEAD', 'OPTIONS']],
    ])('%s %s → 405 with Allow', async (method, path, allowed) => {
      const res = await call(path, { method });
      await expectProblem(res, 405, new RegExp(`${method}.*not allowed`));
      expect(res.headers.get('allow')?.split(', ').sort()).toEqual(allowed);
    });

    it('an unknown path is still 404', async () => {
      await expectProblem(await call('/v1/nothing-here', { method: 'PUT' }), 404, /./);
    });
  });

  describe('framework and Node-level errors are problem+json', () => {
    it('an over-long path parameter → 414 problem+json', async () => {
      const res = await call(`/v1/accounts/${'a'.repeat(500)}`);
      await expectProblem(res, 414, /too long/);
    });

    it('a malformed request line → 400 problem+json', async () => {
      const answer = await rawExchange(port, ['GARBAGE\r\n\r\n'], 5_000);
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 400, type: expect.stringContaining('urn:'), requestId: expect.any(String) });
    });

    it('headers over the limit → 431 problem+json', async () => {
      const answer = await rawExchange(port, [`GET /v1/providers HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`], 5_000);
      expect(answer.status).toBe(431);
      expect(answer.headers['content-type']).toBe(PROBLEM);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 431, detail: expect.stringContaining('headers') });
    });

    it('a URL over the header limit → 431 problem+json', async () => {
      const answer = await rawExchange(port, [`GET /v1/accounts/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`], 5_000);
      expect(answer.status).toBe(431);
      expect(answer.headers['content-type']).toBe(PROBLEM);
    });
  });

  describe('CORS', () => {
    it.each(['PATCH', 'DELETE', 'POST'])('a preflight for %s on /v1/accounts/{id} is allowed', async (method) => {
      const res = await fetch(`${base}/v1/accounts/acc_1`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
      });
      expect(res.status).toBeLessThan(300);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(res.headers.get('access-control-allow-methods')?.split(/,\s*/)).toEqual(expect.arrayContaining([method]));
    });
  });

  describe('Swagger examples', () => {
    it("the default request example of POST /v1/connect-sessions succeeds as-is for any tenant; re-linking is a named example", async () => {
      const doc = (await (await fetch(`${base}/docs-json`)).json()) as {
        paths: Record<string, Record<string, { requestBody: { content: Record<string, { examples: Record<string, { value: unknown }> }> } }>>;
      };
      const examples = doc.paths['/v1/connect-sessions'].post.requestBody.content['application/json'].examples;
      expect(Object.keys(examples)).toEqual(expect.arrayContaining(['new connection', 're-link an account']));
      const [first] = Object.values(examples);
      const res = await fetch(`${base}/v1/connect-sessions`, {
        method: 'POST',
        headers: { authorization: await tenant(`org_${Date.now()}`, 'Fresh Tenant'), 'content-type': 'application/json' },
        body: JSON.stringify(first.value),
      });
      expect(res.status).toBe(201);
    });
  });

  describe('CSP', () => {
    it('over plain HTTP the CSP has no upgrade-insecure-requests (Swagger UI would load its assets over https)', async () => {
      for (const path of ['/docs', '/v1/providers', '/nothing']) {
        const res = await fetch(`${base}${path}`);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self' 'unsafe-inline'");
        expect(csp).not.toContain('upgrade-insecure-requests');
      }
    });

    it('a request that arrived over TLS (X-Forwarded-Proto from a trusted proxy) gets upgrade-insecure-requests', async () => {
      const proxied = await listening(sandbox, { HTTP_TRUST_PROXY: '127.0.0.1' });
      try {
        const tls = await fetch(`${proxied.base}/docs`, { headers: { 'x-forwarded-proto': 'https' } });
        expect(tls.headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
        const plain = await fetch(`${proxied.base}/docs`);
        expect(plain.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
      } finally {
        await proxied.svc.close();
      }
      // Not from a trusted proxy: the header is ignored.
      const spoofed = await fetch(`${base}/docs`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(spoofed.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    });
  });
});

describe('slow clients (HTTP_REQUEST_TIMEOUT_MS)', () => {
  let sandbox: Sandbox;
  let svc: TestService;
  let base: string;
  let port: number;

  beforeAll(async () => {
    sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    ({ svc, base, port } = await listening(sandbox, { HTTP_REQUEST_TIMEOUT_MS: '500' }));
  });
  afterAll(async () => {
    await svc?.close();
    await sandbox?.close();
  });

  const head = (length: number): string =>
    `POST /v1/connect-sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

  it('a body that stalls after one byte is answered 408 problem+json and the connection closed', async () => {
    const answer = await rawExchange(port, [`${head(20)}{`], 5_000);
    expect(answer.closed).toBe(true);
    expect(answer.status).toBe(408);
    expect(answer.headers['content-type']).toBe(PROBLEM);
    expect(JSON.parse(answer.body)).toMatchObject({ status: 408, detail: expect.stringContaining('500 ms') });
  });

  it('a body trickling a byte at a time is cut off too', async () => {
    const body = '{"provider":"hibob"}';
    const answer = await rawExchange(port, [head(body.length), ...body.split('')], 5_000, 200);
    expect(answer.closed).toBe(true);
    expect(answer.status).toBe(408);
  });

  it('a slow StackOne answer after the body has arrived is not cut off', async () => {
    sandbox.injectFault({ method: 'POST', path: '/connect_sessions', delayMs: 1_200 });
    const res = await fetch(`${base}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: await tenant('org_slow', 'Slow Inc'), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(201);
  });
});
