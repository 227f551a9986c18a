// Tokens for the specs and for bench/ (loaded there with Node's type stripping: `import type` for
// types, no TS-only runtime syntax, no relative imports).
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { exportJWK, SignJWT } from 'jose';
import type { JWK } from 'jose';

/** The secret of the apps the e2e specs boot (test/support/app.ts) and of tenantToken(). */
export const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdef0123';

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

export function rsaKeyPair(bits = 2048): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function ecKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export interface SignOptions {
  alg?: string;
  kid?: string;
  header?: Record<string, unknown>;
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
  notBefore?: string | number;
  omitExp?: boolean;
}

export async function sign(claims: Record<string, unknown>, key: KeyObject | Uint8Array, opts: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256', ...(opts.kid ? { kid: opts.kid } : {}), ...opts.header }).setIssuedAt();
  if (!opts.omitExp) jwt.setExpirationTime(opts.expiresIn ?? '5m');
  if (opts.issuer) jwt.setIssuer(opts.issuer);
  if (opts.audience) jwt.setAudience(opts.audience);
  if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
  return jwt.sign(key);
}

export const secretKey = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** An HS256 token for secret-mode apps (exp in 5 minutes unless opts say otherwise). */
export const signHs256 = (claims: Record<string, unknown>, secret: string, opts: Omit<SignOptions, 'alg'> = {}): Promise<string> =>
  sign(claims, secretKey(secret), { ...opts, alg: 'HS256' });

/**
 * A tenant's HS256 token, e.g. `tenantToken({ org_id: 'org_a', org_name: 'Tenant A' })`: signed with
 * TEST_JWT_SECRET unless `secret` says otherwise, valid for 10 minutes unless `expiresIn` does.
 */
export const tenantToken = (claims: Record<string, unknown>, opts: Omit<SignOptions, 'alg'> & { secret?: string } = {}): Promise<string> => {
  const { secret = TEST_JWT_SECRET, ...rest } = opts;
  return signHs256(claims, secret, { expiresIn: '10m', ...rest });
};

/** `Bearer <tenantToken(...)>`, for an Authorization header. */
export const bearer = async (claims: Record<string, unknown>, opts: Omit<SignOptions, 'alg'> & { secret?: string } = {}): Promise<string> =>
  `Bearer ${await tenantToken(claims, opts)}`;

export const signRs256 = (claims: Record<string, unknown>, privateKey: KeyObject, opts: Omit<SignOptions, 'alg'> = {}): Promise<string> =>
  sign(claims, privateKey, { ...opts, alg: 'RS256' });

export const signEs256 = (claims: Record<string, unknown>, privateKey: KeyObject, opts: Omit<SignOptions, 'alg'> = {}): Promise<string> =>
  sign(claims, privateKey, { ...opts, alg: 'ES256' });

/** Builds an unsigned-looking token from raw header and payload objects. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

/**
 * How the stand-in answers: 'garbage' is truncated JSON, 'wrong-shape' valid JSON that is no JWKS,
 * 'html' a 200 error page, 'error' a 500, 'hang' never answers.
 */
export type JwksMode = 'ok' | 'garbage' | 'wrong-shape' | 'html' | 'error' | 'hang';

export interface JwksServer {
  url: string;
  /** Every request received, on any path. */
  requests: () => number;
  setKeys(keys: JWK[]): void;
  setMode(mode: JwksMode): void;
  close(): Promise<void>;
}

/** A JWKS endpoint on 127.0.0.1 (port 0) that counts its requests and can misbehave on demand. */
export async function startJwksServer(initial: JWK[]): Promise<JwksServer> {
  let keys = initial;
  let mode: JwksMode = 'ok';
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count += 1;
    switch (mode) {
      case 'hang':
        return;
      case 'error':
        res.statusCode = 500;
        res.end('oops');
        return;
      case 'html':
        res.setHeader('content-type', 'text/html');
        res.end('<html><body>Bad gateway</body></html>');
        return;
      default:
        res.setHeader('content-type', 'application/json');
        res.end(mode === 'garbage' ? '{"keys": "nope"' : mode === 'wrong-shape' ? '{"keys": "nope"}' : JSON.stringify({ keys }));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => count,
    setKeys: (k) => (keys = k),
    setMode: (m) => (mode = m),
    close: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export async function publicJwk(key: KeyObject, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(key)), kid, alg, use: 'sig' };
}
