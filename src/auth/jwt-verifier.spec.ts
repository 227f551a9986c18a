import { ConsoleLogger, HttpException, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { RawEnv } from '../config/load-config';
import { testConfigService } from '../../test/support/config';
import { ecKeyPair, JwksServer, publicJwk, rawToken, rsaKeyPair, secretKey, sign, startJwksServer } from '../../test/support/jwt';
import { LogCapture } from '../../test/support/logs';
import { IDENTITY_KEYS_UNAVAILABLE, INVALID_TOKEN } from './auth.errors';
import { JWKS_COOLDOWN_MS, JWKS_TIMEOUT_MS, JwtVerifier, MAX_TOKEN_LENGTH } from './jwt-verifier';
import { TENANT_ID_RULE, TENANT_NAME_RULE } from './tenant';

const SECRET = 'unit-test-secret-0123456789-abcdefghij';
const claims = { org_id: 'org_1', org_name: 'Acme Inc', email: 'jane@acme.example', sub: 'user_1' };

// Each test names its auth mode, so the toolkit's default secret is left out.
const verifier = (env: RawEnv): JwtVerifier => new JwtVerifier(testConfigService({ AUTH_JWT_SECRET: undefined, ...env }));

/** The status and detail an error would produce, or 'ok'. */
async function outcome(sut: JwtVerifier, token: string): Promise<{ status: number; detail: string } | 'ok'> {
  try {
    await sut.verify(token);
    return 'ok';
  } catch (err) {
    if (!(err instanceof HttpException)) throw err;
    const body = err.getResponse() as { message: string };
    return { status: err.getStatus(), detail: body.message };
  }
}
const refusedAsInvalid = { status: 401, detail: INVALID_TOKEN };
const keysUnavailable = { status: 503, detail: IDENTITY_KEYS_UNAVAILABLE };

/** Every line any Nest Logger writes while this file runs (also keeps the test output quiet). */
const logs = new LogCapture();

/** Runs `fn` with the wall clock (Date only; timers stay real) set to `epochMs`. */
async function atTime<T>(epochMs: number, fn: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({
    now: epochMs,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
  try {
    return await fn();
  } finally {
    jest.useRealTimers();
  }
}
beforeAll(() => Logger.overrideLogger(logs));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe(JwtVerifier.name, () => {
  describe('HS256 secret mode', () => {
    const sut = verifier({ AUTH_JWT_SECRET: SECRET });

    it('accepts a valid token and maps the tenant claims', async () => {
      const token = await sign(claims, secretKey(SECRET));
      await expect(sut.verify(token)).resolves.toEqual({ id: 'org_1', name: 'Acme Inc', username: 'jane@acme.example', via: 'jwt', principal: 'user_1' });
    });

    it('refuses a bad signature', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(`${SECRET}-other`)))).toEqual(refusedAsInvalid);
    });

    it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s', async (alg) => {
      expect(await outcome(sut, rawToken({ alg, typ: 'JWT' }, { ...claims, exp: Math.floor(Date.now() / 1000) + 300 }))).toEqual(refusedAsInvalid);
    });

    it('refuses an RS256 token in HS mode', async () => {
      expect(await outcome(sut, await sign(claims, rsaKeyPair().privateKey, { alg: 'RS256' }))).toEqual(refusedAsInvalid);
    });

    it('refuses HS384 when only HS256 is allowed', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { alg: 'HS384' }))).toEqual(refusedAsInvalid);
    });

    it('requires exp', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { omitExp: true }))).toEqual(refusedAsInvalid);
    });

    it('refuses exp in the past beyond the tolerance, accepts it within', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { expiresIn: now - 120 }))).toEqual(refusedAsInvalid);
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { expiresIn: now - 10 }))).toBe('ok');
    });

    it('refuses nbf in the future', async () => {
      const now = Math.floor(Date.now() / 1000);
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { notBefore: now + 600 }))).toEqual(refusedAsInvalid);
    });

    it('refuses exp given as a string', async () => {
      const forged = await sign({ ...claims, exp: String(Math.floor(Date.now() / 1000) + 300) }, secretKey(SECRET), { omitExp: true });
      expect(await outcome(sut, forged)).toEqual(refusedAsInvalid);
    });

    it('refuses an unknown crit header', async () => {
      const token = await sign(claims, secretKey(SECRET), { header: { crit: ['x-unknown'], 'x-unknown': 1 } }).catch(() => undefined);
      // jose will not even sign an unknown crit; build it by hand then.
      const forged = token ?? rawToken({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, claims, 'sig');
      expect(await outcome(sut, forged)).toEqual(refusedAsInvalid);
    });

    it.each([
      ['an array', ['org_1']],
      ['an object', { id: 'org_1' }],
      ['an empty string', ''],
      ['a number', 42],
      ['a very long string', 'x'.repeat(300)],
      ['only blanks', '   '],
      ['padded with spaces', ' org_1 '],
      ['a trailing newline', 'org_1\n'],
      ['a control character', 'org\u00001'],
      ['a space inside', 'org 1'],
    ])('refuses a tenant id claim that is %s with the X-Tenant-Id rule, naming the claim and not echoing it', async (_n, value) => {
      const result = await outcome(sut, await sign({ ...claims, org_id: value }, secretKey(SECRET)));
      expect(result).toEqual({ status: 401, detail: `The token's org_id claim must be ${TENANT_ID_RULE}; the tenant must come from the credentials.` });
    });

    it.each([
      ['an empty string', ''],
      ['only blanks', '  \t '],
      ['a leading space', ' Acme Inc'],
      ['a trailing space', 'Acme Inc '],
      ['a trailing no-break space', 'Acme Inc\u00a0'],
      ['a newline', 'Acme\nInc'],
      ['a NUL', 'Acme\u0000Inc'],
      ['a C1 control character', 'Acme\u0085Inc'],
      ['257 characters', 'n'.repeat(257)],
      ['a number', 7],
    ])('refuses a tenant name claim that is %s with the X-Tenant-Name rule, naming the claim', async (_n, value) => {
      const result = await outcome(sut, await sign({ ...claims, org_name: value }, secretKey(SECRET)));
      expect(result).toEqual({ status: 401, detail: `The token's org_name claim must be ${TENANT_NAME_RULE}; the tenant must come from the credentials.` });
    });

    it('accepts tenant claims at the edge of the rules (longest id, 256-character name with inner spaces and accents)', async () => {
      const id = `A${'a0._:@-'.repeat(18)}b`;
      const name = `Zoë ${'n'.repeat(248)} Ltd`;
      expect(name).toHaveLength(256);
      await expect(sut.verify(await sign({ ...claims, org_id: id, org_name: name }, secretKey(SECRET)))).resolves.toMatchObject({ id, name });
    });

    it('refuses a token without the tenant claims with a clear message', async () => {
      const result = await outcome(sut, await sign({ email: 'x@y.z' }, secretKey(SECRET)));
      expect(result).toEqual({ status: 401, detail: expect.stringMatching(/org_id \/ org_name.*credentials/) });
    });

    it.each([
      ['two segments', 'abc.def'],
      ['an array payload', rawToken({ alg: 'HS256' }, [], 'c2ln')],
      ['a truncated signature', ''],
      ['garbage', 'not a token at all'],
      ['an oversized token', 'a'.repeat(9000)],
    ])('answers %s with the same generic 401', async (name, token) => {
      const real = await sign(claims, secretKey(SECRET));
      const input = name === 'a truncated signature' ? real.slice(0, -10) : token;
      expect(await outcome(sut, input)).toEqual(refusedAsInvalid);
    });

    it('refuses a token lacking only the tenant name claim, naming the claims', async () => {
      const result = await outcome(sut, await sign({ org_id: 'org_1' }, secretKey(SECRET)));
      expect(result).toEqual({ status: 401, detail: 'The token has no org_id / org_name claims; the tenant must come from the credentials.' });
    });

    it('answers a badly signed token without tenant claims with the generic body (claims are read only after the signature)', async () => {
      expect(await outcome(sut, await sign({ email: 'x@y.z' }, secretKey(`${SECRET}-other`)))).toEqual(refusedAsInvalid);
      expect(await outcome(sut, rawToken({ alg: 'HS256' }, { exp: Math.floor(Date.now() / 1000) + 60 }, 'c2ln'))).toEqual(refusedAsInvalid);
    });

    it('maps sub to the principal, and falls back to "jwt" without one', async () => {
      const { sub: _sub, email: _email, ...withoutSub } = claims;
      await expect(sut.verify(await sign(withoutSub, secretKey(SECRET)))).resolves.toEqual({ id: 'org_1', name: 'Acme Inc', username: undefined, via: 'jwt', principal: 'jwt' });
    });

    it('accepts the largest token within the 8 KiB limit, refuses the next larger one without decoding', async () => {
      const padded = (n: number): Promise<string> => sign({ ...claims, pad: 'p'.repeat(n) }, secretKey(SECRET));
      let n = 5_900;
      while ((await padded(n + 1)).length <= MAX_TOKEN_LENGTH) n += 1;
      const largest = await padded(n);
      const over = await padded(n + 1);
      expect([largest.length <= MAX_TOKEN_LENGTH, over.length > MAX_TOKEN_LENGTH]).toEqual([true, true]);
      expect(await outcome(sut, largest)).toBe('ok');
      expect(await outcome(sut, over)).toEqual(refusedAsInvalid);
    });

    it('ignores jku, x5u and embedded jwk headers (the key comes from configuration only)', async () => {
      const attacker = rsaKeyPair();
      const forged = await sign(claims, attacker.privateKey, {
        alg: 'RS256',
        header: { jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/cert', jwk: await publicJwk(attacker.publicKey, 'evil', 'RS256') },
      });
      expect(await outcome(sut, forged)).toEqual(refusedAsInvalid);
    });
  });

  describe('issuer and audience', () => {
    const sut = verifier({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'connect-service' });

    it('accepts the configured issuer and audience', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { issuer: 'https://idp.example/', audience: 'connect-service' }))).toBe('ok');
    });

    it.each([
      ['a wrong issuer', { issuer: 'https://evil.example/', audience: 'connect-service' }],
      ['a wrong audience', { issuer: 'https://idp.example/', audience: 'other-service' }],
      ['no issuer', { audience: 'connect-service' }],
    ])('refuses %s', async (_n, opts) => {
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), opts))).toEqual(refusedAsInvalid);
    });
  });

  describe('custom claim names', () => {
    it('reads the tenant from AUTH_TENANT_ID_CLAIM / AUTH_TENANT_NAME_CLAIM / AUTH_USERNAME_CLAIM', async () => {
      const sut = verifier({ AUTH_JWT_SECRET: SECRET, AUTH_TENANT_ID_CLAIM: 'tid', AUTH_TENANT_NAME_CLAIM: 'tname', AUTH_USERNAME_CLAIM: 'preferred_username' });
      const token = await sign({ tid: 't-9', tname: 'Nine', preferred_username: 'nina' }, secretKey(SECRET));
      await expect(sut.verify(token)).resolves.toMatchObject({ id: 't-9', name: 'Nine', username: 'nina' });
    });
  });

  describe('PEM public key mode', () => {
    const rsa = rsaKeyPair();
    const sut = verifier({ AUTH_JWT_PUBLIC_KEY: rsa.publicPem, AUTH_JWT_ALGORITHMS: 'RS256' });

    it('accepts an RS256 token signed by the matching key', async () => {
      expect(await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256' }))).toBe('ok');
    });

    it('refuses an HS256 token signed with the public key text as the secret (key confusion)', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(rsa.publicPem), { alg: 'HS256' }))).toEqual(refusedAsInvalid);
    });

    it('refuses a token signed by another key', async () => {
      expect(await outcome(sut, await sign(claims, rsaKeyPair().privateKey, { alg: 'RS256' }))).toEqual(refusedAsInvalid);
    });

    it('accepts ES256 when configured for an EC key', async () => {
      const ec = ecKeyPair();
      const es = verifier({ AUTH_JWT_PUBLIC_KEY: ec.publicPem, AUTH_JWT_ALGORITHMS: 'ES256' });
      expect(await outcome(es, await sign(claims, ec.privateKey, { alg: 'ES256' }))).toBe('ok');
    });
  });

  describe('JWKS mode', () => {
    const rsa = rsaKeyPair();
    let jwks: JwksServer;
    let sut: JwtVerifier;

    beforeEach(async () => {
      jwks = await startJwksServer([await publicJwk(rsa.publicKey, 'k1', 'RS256')]);
      sut = verifier({ AUTH_JWKS_URL: jwks.url, AUTH_JWT_ALGORITHMS: 'RS256' });
    });
    afterEach(async () => {
      await jwks.close();
    });

    it('accepts a token whose kid is in the JWKS, fetching it once', async () => {
      for (let i = 0; i < 3; i++) expect(await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).toBe('ok');
      expect(jwks.requests()).toBe(1);
    });

    it('refuses the JWKS public key used as an HS256 secret (key confusion)', async () => {
      const jwk = JSON.stringify(await publicJwk(rsa.publicKey, 'k1', 'RS256'));
      expect(await outcome(sut, await sign(claims, secretKey(jwk), { alg: 'HS256', kid: 'k1' }))).toEqual(refusedAsInvalid);
      expect(await outcome(sut, await sign(claims, secretKey(rsa.publicPem), { alg: 'HS256', kid: 'k1' }))).toEqual(refusedAsInvalid);
    });

    it('refetches at most once within the cooldown however many random kids arrive', async () => {
      await sut.verify(await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }));
      const attacker = rsaKeyPair();
      for (let i = 0; i < 20; i++) {
        const kid = i % 2 === 0 ? `../../etc/passwd-${i}` : `' OR 1=1 -- ${'x'.repeat(200)}${i}`;
        expect(await outcome(sut, await sign(claims, attacker.privateKey, { alg: 'RS256', kid }))).toEqual(refusedAsInvalid);
      }
      expect(jwks.requests()).toBeLessThanOrEqual(2);
    });

    it('makes zero requests for jku / x5u headers pointing elsewhere', async () => {
      const other = await startJwksServer([]);
      const token = await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1', header: { jku: other.url, x5u: other.url } });
      expect(await outcome(sut, token)).toBe('ok');
      expect(other.requests()).toBe(0);
      await other.close();
    });

    it('refuses a huge kid without any lookup beyond the JWKS', async () => {
      await sut.verify(await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }));
      for (const kid of ['k'.repeat(5_000), 'k'.repeat(20_000), '%2e%2e%2f%2e%2e%2fk1', 'k1; DROP TABLE keys']) {
        expect(await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid }))).toEqual(refusedAsInvalid);
      }
      expect(jwks.requests()).toBe(1);
    });

    it('ignores an embedded jwk header and jku / x5u: the attacker key is never used or fetched', async () => {
      const other = await startJwksServer([]);
      const attacker = rsaKeyPair();
      const forged = await sign(claims, attacker.privateKey, {
        alg: 'RS256',
        kid: 'k1',
        header: { jku: other.url, x5u: other.url, jwk: await publicJwk(attacker.publicKey, 'k1', 'RS256') },
      });
      expect(await outcome(sut, forged)).toEqual(refusedAsInvalid);
      expect(other.requests()).toBe(0);
      expect(jwks.requests()).toBe(1);
      await other.close();
    });

    it('picks up a rotated key with one refetch once the cooldown is over, and no more', async () => {
      const next = rsaKeyPair();
      expect(await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).toBe('ok');
      jwks.setKeys([await publicJwk(rsa.publicKey, 'k1', 'RS256'), await publicJwk(next.publicKey, 'k2', 'RS256')]);
      const rotated = await sign(claims, next.privateKey, { alg: 'RS256', kid: 'k2' });
      // Within the cooldown of the first fetch an unknown kid causes no request at all.
      expect(await outcome(sut, rotated)).toEqual(refusedAsInvalid);
      expect(jwks.requests()).toBe(1);
      const later = Date.now() + JWKS_COOLDOWN_MS + 1_000;
      await atTime(later, async () => {
        const fresh = await sign(claims, next.privateKey, { alg: 'RS256', kid: 'k2', expiresIn: Math.floor(later / 1000) + 300 });
        expect(await outcome(sut, fresh)).toBe('ok');
        expect(jwks.requests()).toBe(2);
        const attacker = rsaKeyPair();
        for (let i = 0; i < 20; i++) {
          await outcome(sut, await sign(claims, attacker.privateKey, { alg: 'RS256', kid: randomUUID(), expiresIn: Math.floor(later / 1000) + 300 }));
        }
        expect(jwks.requests()).toBe(2);
      });
    });

    it('shares one key set per JWKS URL across verifier instances (built once per process)', async () => {
      const second = verifier({ AUTH_JWKS_URL: jwks.url, AUTH_JWT_ALGORITHMS: 'RS256' });
      expect(await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).toBe('ok');
      expect(await outcome(second, await sign({ ...claims, sub: 'other' }, rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).toBe('ok');
      expect(jwks.requests()).toBe(1);
    });

    it('refuses an HS256 token in JWKS mode without fetching keys', async () => {
      expect(await outcome(sut, await sign(claims, secretKey(SECRET), { alg: 'HS256', kid: 'k1' }))).toEqual(refusedAsInvalid);
      expect(jwks.requests()).toBe(0);
    });

    it.each(['error', 'garbage', 'wrong-shape', 'html'] as const)('answers 503 with a generic body when the JWKS endpoint returns %s', async (mode) => {
      jwks.setMode(mode);
      const result = await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }));
      expect(result).toEqual(keysUnavailable);
    });

    it('answers 503 with a generic body when the JWKS endpoint hangs (after the fetch timeout)', async () => {
      jwks.setMode('hang');
      const started = Date.now();
      const result = await outcome(sut, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }));
      expect(result).toEqual(keysUnavailable);
      expect(Date.now() - started).toBeLessThan(JWKS_TIMEOUT_MS + 2_000);
    }, JWKS_TIMEOUT_MS + 5_000);

    it('answers 503 with a generic body when the JWKS endpoint is down', async () => {
      const gone = await startJwksServer([]);
      const url = gone.url;
      await gone.close();
      const down = verifier({ AUTH_JWKS_URL: url, AUTH_JWT_ALGORITHMS: 'RS256' });
      expect(await outcome(down, await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' }))).toEqual(keysUnavailable);
    });

    it('still answers 401 (not 503) for malformed tokens while the JWKS endpoint is down', async () => {
      jwks.setMode('error');
      expect(await outcome(sut, 'abc.def')).toEqual(refusedAsInvalid);
      expect(await outcome(sut, rawToken({ alg: 'none' }, claims))).toEqual(refusedAsInvalid);
      expect(jwks.requests()).toBe(0);
    });
  });
});

describe('verified-token cache', () => {
  it('serves a verified token again, but never past its exp', async () => {
    const sut = verifier({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    const exp = Math.floor(Date.now() / 1000) + 20;
    const token = await sign(claims, secretKey(SECRET), { expiresIn: exp });
    await expect(sut.verify(token)).resolves.toMatchObject({ id: 'org_1' });
    await expect(sut.verify(token)).resolves.toMatchObject({ id: 'org_1' });
    await atTime(exp * 1000 + 1_000, async () => {
      expect(await outcome(sut, token)).toEqual(refusedAsInvalid);
    });
  });

  it('never caches a refusal', async () => {
    const sut = verifier({ AUTH_JWT_SECRET: SECRET });
    const bad = await sign(claims, secretKey(`${SECRET}-x`));
    expect(await outcome(sut, bad)).toEqual(refusedAsInvalid);
    expect(await outcome(sut, bad)).toEqual(refusedAsInvalid);
  });
});

describe('logging', () => {
  it('never writes a token, its parts or the secret to the logs, whatever the failure', async () => {
    logs.clear();
    const hs = verifier({ AUTH_JWT_SECRET: SECRET });
    const tokens = [
      await sign(claims, secretKey(SECRET)),
      await sign(claims, secretKey(`${SECRET}-other`)),
      await sign({ email: 'x@y.z' }, secretKey(SECRET)),
      rawToken({ alg: 'none' }, claims),
    ];
    for (const token of tokens) await outcome(hs, token);
    const rsa = rsaKeyPair();
    const jwks = await startJwksServer([]);
    jwks.setMode('error');
    const remote = verifier({ AUTH_JWKS_URL: jwks.url, AUTH_JWT_ALGORITHMS: 'RS256' });
    const rsToken = await sign(claims, rsa.privateKey, { alg: 'RS256', kid: 'k1' });
    tokens.push(rsToken);
    expect(await outcome(remote, rsToken)).toEqual(keysUnavailable);
    await jwks.close();
    expect(logs.lines.length).toBeGreaterThan(0);
    const text = logs.text();
    for (const token of tokens) {
      for (const part of token.split('.').filter((p) => p.length > 8)) expect(text).not.toContain(part);
    }
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(jwks.url);
  });

  describe('says at info why a token was refused, while the caller gets the generic 401', () => {
    const now = (): number => Math.floor(Date.now() / 1000);
    const idp = verifier({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_ISSUER: 'https://idp.example/', AUTH_JWT_AUDIENCE: 'connect-service' });
    const cases: [string, () => Promise<string>, string][] = [
      ['a wrong issuer', () => sign(claims, secretKey(SECRET), { issuer: 'https://evil.example/', audience: 'connect-service' }), 'unexpected iss claim value'],
      ['a wrong audience', () => sign(claims, secretKey(SECRET), { issuer: 'https://idp.example/', audience: 'other-service' }), 'unexpected aud claim value'],
      ['no issuer', () => sign(claims, secretKey(SECRET), { audience: 'connect-service' }), 'missing required iss claim'],
      ['an expired token', () => sign(claims, secretKey(SECRET), { issuer: 'https://idp.example/', audience: 'connect-service', expiresIn: now() - 3600 }), 'expired (exp claim)'],
      ['a bad signature', () => sign(claims, secretKey(`${SECRET}-other`), { issuer: 'https://idp.example/', audience: 'connect-service' }), 'signature verification failed'],
      ['a disallowed alg', () => sign(claims, secretKey(SECRET), { alg: 'HS384', issuer: 'https://idp.example/', audience: 'connect-service' }), 'alg header not among the configured algorithms'],
      ['a token that is not a JWS', () => Promise.resolve('not-a-token'), 'not a compact JWS'],
    ];

    it.each(cases)('%s', async (_n, make, reason) => {
      const info = jest.spyOn(logs, 'log');
      const warn = jest.spyOn(logs, 'warn');
      const error = jest.spyOn(logs, 'error');
      try {
        const token = await make();
        expect(await outcome(idp, token)).toEqual(refusedAsInvalid);
        const said = info.mock.calls.map((c) => String(c[0]));
        expect(said).toEqual([expect.stringContaining(`Bearer token refused (401): ${reason}`)]);
        for (const part of token.split('.').filter((p) => p.length > 8)) expect(said[0]).not.toContain(part);
        expect(said[0]).not.toContain('evil.example');
        expect(said[0]).not.toContain('other-service');
        expect(warn).not.toHaveBeenCalled();
        expect(error).not.toHaveBeenCalled();
      } finally {
        jest.restoreAllMocks();
      }
    });
  });
});
