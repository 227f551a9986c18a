import { createHash, generateKeyPairSync, KeyObject } from 'node:crypto';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { exportJWK, JWK, SignJWT } from 'jose';

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

/** Builds an unsigned-looking token from raw header and payload objects. */
export function rawToken(header: unknown, payload: unknown, signature = ''): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}

export interface JwksServer {
  url: string;
  requests: () => number;
  setKeys(keys: JWK[]): void;
  setMode(mode: 'ok' | 'garbage' | 'error' | 'hang'): void;
  close(): Promise<void>;
}

/** A JWKS endpoint on 127.0.0.1 that counts its requests and can misbehave on demand. */
export async function startJwksServer(initial: JWK[]): Promise<JwksServer> {
  let keys = initial;
  let mode: 'ok' | 'garbage' | 'error' | 'hang' = 'ok';
  let count = 0;
  const server: Server = createServer((_req, res) => {
    count += 1;
    if (mode === 'hang') return;
    if (mode === 'error') {
      res.statusCode = 500;
      res.end('oops');
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(mode === 'garbage' ? '{"keys": "nope"' : JSON.stringify({ keys }));
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
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export async function publicJwk(key: KeyObject, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(key)), kid, alg, use: 'sig' };
}
