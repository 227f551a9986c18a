import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { STACKONE_CATEGORIES } from './stackone/stackone.categories';
import { configRefusal as refusal } from '../test/support/config';
import { ENV_KEYS, loadConfig, validateEnvironment } from './app.config';
import type { RawEnv } from './config/load-config';

const root = join(__dirname, '..');
const SECRET = 'load-config-test-secret-0123456789abcdef';
const base: RawEnv = { STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: SECRET };

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig(base);
    expect(c.app.port).toBe(3000);
    expect(c.stackone.baseUrl).toBe('https://api.stackone.com');
    expect(c.stackone.timeoutMs).toBe(10_000);
    expect(c.auth.jwt).toMatchObject({ mode: 'secret', algorithms: ['HS256'] });
    expect(c.auth.tenantIdClaim).toBe('org_id');
    expect(c.auth.tenantNameClaim).toBe('org_name');
    expect(c.auth.usernameClaim).toBe('email');
    expect(c.http.trustProxy).toBe(false);
  });

  it('turns the StackOne webhook route off without a secret, takes a comma list for rotation and a 300 s window by default', () => {
    expect(loadConfig(base).webhooks).toEqual({ secrets: [], maxAgeSeconds: 300 });
    expect(loadConfig({ ...base, STACKONE_WEBHOOK_SECRET: ' new-secret-1 , old-secret-0 ', STACKONE_WEBHOOK_MAX_AGE_SECONDS: '60' }).webhooks).toEqual({
      secrets: ['new-secret-1', 'old-secret-0'],
      maxAgeSeconds: 60,
    });
    expect(refusal({ ...base, STACKONE_WEBHOOK_MAX_AGE_SECONDS: '0' })).toContain('STACKONE_WEBHOOK_MAX_AGE_SECONDS: must be at least 1');
    const placeholder = refusal({ ...base, STACKONE_WEBHOOK_SECRET: 'real-one,replace-with-the-webhook-secret' });
    expect(placeholder).toContain('STACKONE_WEBHOOK_SECRET: one secret is a placeholder');
    expect(placeholder).not.toContain('real-one');
  });

  it('turns the account mirror on only with webhook secrets, with a one-hour TTL by default', () => {
    expect(loadConfig(base).accountMirror).toEqual({ enabled: false, ttlMs: 3_600_000, memoryMaxEntries: 10_000 });
    const c = loadConfig({ ...base, STACKONE_WEBHOOK_SECRET: 'whsec_a, whsec_b', ACCOUNT_MIRROR_TTL_SECONDS: '60' });
    expect(c.webhooks.secrets).toEqual(['whsec_a', 'whsec_b']);
    expect(c.accountMirror).toMatchObject({ enabled: true, ttlMs: 60_000 });
    expect(refusal({ ...base, ACCOUNT_MIRROR_TTL_SECONDS: '0' })).toContain('ACCOUNT_MIRROR_TTL_SECONDS');
    expect(refusal({ ...base, ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES: 'lots' })).toContain('ACCOUNT_MIRROR_MEMORY_MAX_ENTRIES');
  });

  it('bounds Redis commands and the in-memory idempotency store by default', () => {
    const c = loadConfig(base);
    expect(c.redis.commandTimeoutMs).toBe(500);
    expect(c.idempotency.memoryMaxEntries).toBe(10_000);
    expect(c.idempotency.memoryMaxBytes).toBe(32 * 1024 * 1024);
    expect(refusal({ ...base, REDIS_COMMAND_TIMEOUT_MS: '0' })).toContain('REDIS_COMMAND_TIMEOUT_MS');
    expect(refusal({ ...base, IDEMPOTENCY_MEMORY_MAX_ENTRIES: '0' })).toContain('IDEMPOTENCY_MEMORY_MAX_ENTRIES');
    expect(refusal({ ...base, IDEMPOTENCY_MEMORY_MAX_BYTES: 'lots' })).toContain('IDEMPOTENCY_MEMORY_MAX_BYTES');
  });

  it('gives each tenant a tenth of the StackOne budget by default; set explicitly, 0 turns it off', () => {
    expect(loadConfig(base).stackone.rateLimitPerTenantPerMinute).toBe(90);
    expect(loadConfig({ ...base, STACKONE_RATE_LIMIT_PER_MINUTE: '5' }).stackone.rateLimitPerTenantPerMinute).toBe(1);
    expect(loadConfig({ ...base, STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '0' }).stackone.rateLimitPerTenantPerMinute).toBe(0);
    expect(refusal({ ...base, STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE: '-1' })).toContain('STACKONE_RATE_LIMIT_PER_TENANT_PER_MINUTE');
  });

  it('names a missing STACKONE_API_KEY', () => {
    expect(refusal({ AUTH_JWT_SECRET: SECRET })).toContain('STACKONE_API_KEY');
  });

  it('requires at least one auth method', () => {
    expect(refusal({ STACKONE_API_KEY: 'k' })).toContain('at least one auth method');
  });

  it('refuses a short HS secret without echoing it', () => {
    const msg = refusal({ STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: 'short-secret-value' });
    expect(msg).toContain('AUTH_JWT_SECRET');
    expect(msg).not.toContain('short-secret-value');
  });

  it("refuses .env.example's placeholders, naming both variables and echoing neither value", () => {
    const example = parseEnv(readFileSync(join(root, '.env.example'), 'utf8'));
    expect(example.STACKONE_API_KEY).toBeDefined();
    expect(example.AUTH_JWT_SECRET).toBeDefined();
    const msg = refusal(example);
    expect(msg).toMatch(/STACKONE_API_KEY: is a placeholder/);
    expect(msg).toMatch(/AUTH_JWT_SECRET: is a placeholder/);
    expect(msg).not.toContain(example.STACKONE_API_KEY);
    expect(msg).not.toContain(example.AUTH_JWT_SECRET);
  });

  it.each([
    ['one character repeated', 's'.repeat(32)],
    ['a short pattern repeated', 'abc'.repeat(16)],
    ['a change-me secret', 'changeme-changeme-changeme-0123456789'],
    ['a placeholder', 'placeholder-jwt-secret-0123456789abcdef'],
  ])('refuses an obviously weak AUTH_JWT_SECRET (%s) without echoing it', (_n, secret) => {
    const msg = refusal({ ...base, AUTH_JWT_SECRET: secret });
    expect(msg).toContain('AUTH_JWT_SECRET');
    expect(msg).not.toContain(secret);
  });

  it.each([
    ['64 hex characters', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
    ['32 hex characters', '0f1e2d3c4b5a69788796a5b4c3d2e1f0'],
    ['base64url of 32 random bytes', 'q3Jt0k1lqVJ9b8_8Y1mW2hC4fZ0xGm6pNfQ7sT2uVw0'],
  ])('accepts a random-looking AUTH_JWT_SECRET (%s)', (_n, secret) => {
    expect(loadConfig({ ...base, AUTH_JWT_SECRET: secret }).auth.jwt).toMatchObject({ mode: 'secret', secret });
  });

  it('refuses a placeholder STACKONE_API_KEY but accepts short real-looking keys', () => {
    expect(refusal({ ...base, STACKONE_API_KEY: 'your-stackone-api-key' })).toContain('STACKONE_API_KEY: is a placeholder');
    expect(loadConfig({ ...base, STACKONE_API_KEY: 'sandbox-api-key' }).stackone.apiKey).toBe('sandbox-api-key');
  });

  it('serves /metrics and the API docs on the API port by default; METRICS_PORT moves /metrics (bound to HOST unless METRICS_HOST), API_DOCS_ENABLED=false removes the docs', () => {
    expect(loadConfig(base).app).toMatchObject({ metricsPort: undefined, metricsHost: '0.0.0.0', apiDocsEnabled: true });
    expect(loadConfig({ ...base, HOST: '127.0.0.1', METRICS_PORT: '9464' }).app).toMatchObject({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(loadConfig({ ...base, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5', API_DOCS_ENABLED: 'false' }).app).toMatchObject({
      metricsPort: 9464,
      metricsHost: '10.0.0.5',
      apiDocsEnabled: false,
    });
    expect(refusal({ ...base, METRICS_PORT: 'ninety' })).toContain('METRICS_PORT: must be a whole number');
    expect(refusal({ ...base, METRICS_PORT: '0' })).toContain('METRICS_PORT: must be at least 1');
    expect(refusal({ ...base, METRICS_PORT: '70000' })).toContain('METRICS_PORT: must be a port number (1-65535)');
    expect(refusal({ ...base, PORT: '8080', METRICS_PORT: '8080' })).toContain('METRICS_PORT: must differ from PORT');
    expect(refusal({ ...base, API_DOCS_ENABLED: 'no' })).toContain('API_DOCS_ENABLED: must be true or false');
  });

  it('starts degraded when Redis is unreachable unless REDIS_REQUIRED=true', () => {
    expect(loadConfig(base).redis.required).toBe(false);
    expect(loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379', REDIS_REQUIRED: 'true' }).redis.required).toBe(true);
    expect(refusal({ ...base, REDIS_REQUIRED: 'yes' })).toContain('REDIS_REQUIRED: must be true or false');
  });

  it('refuses a non-numeric PORT and names it', () => {
    expect(refusal({ ...base, PORT: 'eighty' })).toContain('PORT');
  });

  it.each([
    ['credentials in the URL', 'https://user:pw@api.stackone.com'],
    ['plain http to a remote host', 'http://api.stackone.com'],
    ['another scheme', 'ftp://api.stackone.com'],
  ])('refuses STACKONE_BASE_URL with %s', (_n, url) => {
    expect(refusal({ ...base, STACKONE_BASE_URL: url })).toContain('STACKONE_BASE_URL');
  });

  it('allows plain http to loopback (tests, the sandbox)', () => {
    expect(loadConfig({ ...base, STACKONE_BASE_URL: 'http://127.0.0.1:4010/' }).stackone.baseUrl).toBe('http://127.0.0.1:4010');
  });

  it('refuses trust proxy = true', () => {
    expect(refusal({ ...base, HTTP_TRUST_PROXY: 'true' })).toContain('HTTP_TRUST_PROXY');
  });

  it('refuses an RSA public key under 2048 bits', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_JWT_PUBLIC_KEY: pem })).toContain('2048');
  });

  it('refuses an HMAC algorithm with a public key (no key confusion by configuration)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_JWT_PUBLIC_KEY: pem, AUTH_JWT_ALGORITHMS: 'HS256' })).toContain('AUTH_JWT_ALGORITHMS');
  });

  it('refuses two JWT key modes at once', () => {
    expect(refusal({ ...base, AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json' })).toContain('exclusive');
  });

  it('parses API keys and refuses plaintext keys or unbound keys', () => {
    const sha = 'a'.repeat(64);
    const ok = loadConfig({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: JSON.stringify([{ name: 'billing', sha256: sha, tenantId: 't1', tenantName: 'T1' }]) });
    expect(ok.auth.apiKeys).toEqual([{ name: 'billing', sha256: sha, tenantId: 't1', tenantName: 'T1', actForAnyTenant: false }]);
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: JSON.stringify([{ sha256: 'my-plaintext-key', tenantId: 't', tenantName: 'T' }]) })).toContain('sha256');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: JSON.stringify([{ sha256: sha }]) })).toContain('tenantId');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: '{not json' })).toContain('AUTH_API_KEYS');
  });

  it('holds a bound key\'s tenant to the tenant id and name rules', () => {
    const keys = (tenantId: string, tenantName: string): string => JSON.stringify([{ sha256: 'a'.repeat(64), tenantId, tenantName }]);
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys(' org_1', 'T1') })).toContain('AUTH_API_KEYS[0].tenantId');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys('org 1', 'T1') })).toContain('AUTH_API_KEYS[0].tenantId');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys('org_1', '   ') })).toContain('AUTH_API_KEYS[0].tenantName');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys('org_1', 'Acme Inc ') })).toContain('AUTH_API_KEYS[0].tenantName');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys('org_1', 'Acme\u0007Inc') })).toContain('AUTH_API_KEYS[0].tenantName');
  });

  it('validates the allow-lists', () => {
    expect(refusal({ ...base, STACKONE_ALLOWED_CATEGORIES: 'hris,payroll' })).toContain('payroll');
    expect(loadConfig({ ...base, STACKONE_ALLOWED_PROVIDERS: 'hibob, greenhouse' }).stackone.allowedProviders).toEqual(['hibob', 'greenhouse']);
  });

  it('bounds the time a request may take to arrive: 30 s by default, at least 100 ms', () => {
    expect(loadConfig(base).http.requestTimeoutMs).toBe(30_000);
    expect(loadConfig({ ...base, HTTP_REQUEST_TIMEOUT_MS: '5000' }).http.requestTimeoutMs).toBe(5_000);
    expect(refusal({ ...base, HTTP_REQUEST_TIMEOUT_MS: '0' })).toContain('HTTP_REQUEST_TIMEOUT_MS');
    expect(refusal({ ...base, HTTP_REQUEST_TIMEOUT_MS: 'never' })).toContain('HTTP_REQUEST_TIMEOUT_MS');
  });

  it('reports every bad variable at once, a value that is no number among the rest', () => {
    const msg = refusal({ ...base, PORT: 'eighty', STACKONE_TIMEOUT_MS: '50', HTTP_TRUST_PROXY: 'true' });
    expect(msg).toContain('PORT: must be a whole number');
    expect(msg).toContain('STACKONE_TIMEOUT_MS: must be at least 100');
    expect(msg).toContain('HTTP_TRUST_PROXY');
  });

  it.each(['+80', '-1', '1e3', '0x50', '80.0', ' 80'])('takes digits only for a number (%j is refused, not guessed at)', (port) => {
    expect(refusal({ ...base, PORT: port })).toContain('PORT: must be a whole number');
  });

  it('gives the JWT config the field of its own key source only', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keySource = (env: RawEnv): string[] =>
      Object.keys(loadConfig({ STACKONE_API_KEY: 'k', ...env }).auth.jwt ?? {}).filter((k) => ['secret', 'publicKeyPem', 'jwksUrl'].includes(k));
    expect(keySource({ AUTH_JWT_SECRET: SECRET })).toEqual(['secret']);
    expect(keySource({ AUTH_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'), AUTH_JWT_ALGORITHMS: 'ES256' })).toEqual(['publicKeyPem']);
    expect(keySource({ AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json' })).toEqual(['jwksUrl']);
    expect(loadConfig({ STACKONE_API_KEY: 'k', AUTH_JWT_PUBLIC_KEY: pem.replace(/\n/g, '\\n'), AUTH_JWT_ALGORITHMS: 'ES256' }).auth.jwt).toMatchObject({
      mode: 'public-key',
      publicKeyPem: pem,
      algorithms: ['ES256'],
    });
  });

  it('keeps a tenant only on keys bound to one; an act-for-any key carries none', () => {
    const sha = 'B'.repeat(64);
    const keys = JSON.stringify([{ sha256: sha, actForAnyTenant: true, tenantId: 'org_1', tenantName: 'Org 1' }]);
    const [entry] = loadConfig({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: keys }).auth.apiKeys;
    expect(entry).toStrictEqual({ name: 'key-0', sha256: sha.toLowerCase(), actForAnyTenant: true });
  });

  it('names each bad API-key entry by index and field, and refuses a JSON value that is not a list', () => {
    const msg = refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: JSON.stringify([{ sha256: 'a'.repeat(64), tenantId: 't', tenantName: 'T' }, null]) });
    expect(msg).toContain('AUTH_API_KEYS[1].sha256');
    expect(msg).not.toContain('AUTH_API_KEYS[0]');
    expect(refusal({ STACKONE_API_KEY: 'k', AUTH_API_KEYS: '{"name":"billing"}' })).toBe('Invalid configuration:\n  - AUTH_API_KEYS: expected a JSON array');
  });

  it('accepts every StackOne category in the allow-list', () => {
    expect(loadConfig({ ...base, STACKONE_ALLOWED_CATEGORIES: STACKONE_CATEGORIES.join(',') }).stackone.allowedCategories).toEqual([...STACKONE_CATEGORIES]);
  });

  it('takes 1 and 0 for STACKONE_ALLOW_INSECURE_HTTP as it validates them: 1 allows plain http to a remote host', () => {
    const remote = { ...base, STACKONE_BASE_URL: 'http://stackone.internal:8080' };
    expect(loadConfig({ ...remote, STACKONE_ALLOW_INSECURE_HTTP: '1' }).stackone.baseUrl).toBe('http://stackone.internal:8080');
    expect(loadConfig({ ...remote, STACKONE_ALLOW_INSECURE_HTTP: 'true' }).stackone.baseUrl).toBe('http://stackone.internal:8080');
    expect(refusal({ ...remote, STACKONE_ALLOW_INSECURE_HTTP: '0' })).toContain('STACKONE_BASE_URL');
    expect(refusal({ ...remote, STACKONE_ALLOW_INSECURE_HTTP: 'yes' })).toContain('STACKONE_ALLOW_INSECURE_HTTP');
  });

  it('parses lists and the trusted proxies once', () => {
    const c = loadConfig({ ...base, HTTP_TRUST_PROXY: '10.0.0.1, 10.0.0.0/8', HTTP_CORS_ORIGINS: 'https://a.example, ,https://b.example' });
    expect(c.http.trustProxy).toEqual(['10.0.0.1', '10.0.0.0/8']);
    expect(c.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(loadConfig({ ...base, HTTP_TRUST_PROXY: '2' }).http.trustProxy).toBe(2);
    expect(loadConfig({ ...base, HTTP_TRUST_PROXY: 'false' }).http.trustProxy).toBe(false);
  });
});

describe('validateEnvironment', () => {
  it('returns values already parsed into their types, defaults filled in', () => {
    const env = validateEnvironment({
      STACKONE_API_KEY: 'k',
      AUTH_JWT_SECRET: 'env-schema-test-secret-0123456789abcdef',
      PORT: '8080',
      STACKONE_ALLOWED_CATEGORIES: 'hris, ats',
      STACKONE_ALLOW_INSECURE_HTTP: 'true',
      HTTP_TRUST_PROXY: '1',
    });
    expect(env.app.PORT).toBe(8080);
    expect(env.stackone.STACKONE_ALLOWED_CATEGORIES).toEqual(['hris', 'ats']);
    expect(env.stackone.STACKONE_ALLOW_INSECURE_HTTP).toBe(true);
    expect(env.http.HTTP_TRUST_PROXY).toBe(1);
    expect(env.stackone.STACKONE_TIMEOUT_MS).toBe(10_000);
    expect(env.auth.AUTH_API_KEYS).toEqual([]);
  });

  it('ignores variables it does not know and treats empty ones as unset', () => {
    const env = validateEnvironment({ STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: 'env-schema-test-secret-0123456789abcdef', PORT: '', PATH: '/bin' });
    expect(env.app.PORT).toBe(3000);
    for (const variables of Object.values(env)) expect(variables).not.toHaveProperty('PATH');
  });
});

describe('ENV_KEYS', () => {
  it('lists exactly the variables .env.example documents', () => {
    // OTEL_* are OpenTelemetry's own variables, read by its SDK and src/config/tracing.ts, not by the settings.
    const documented = [...readFileSync(join(root, '.env.example'), 'utf8').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]).filter((name) => !name.startsWith('OTEL_'));
    expect([...ENV_KEYS].sort()).toEqual([...new Set(documented)].sort());
  });
});
