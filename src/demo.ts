/**
 * `npm run demo`: the StackOne sandbox and this service pointed at it, with a demo identity
 * configuration, so the whole flow runs on one machine. Prints the Swagger UI address, a bearer
 * token for two demo tenants and a curl line. Demo only: the secrets below are made up per run.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createApp } from './app.factory';
import { loadConfig } from './config/load-config';
import { createSandbox } from './sandbox/sandbox';

const HOST = '127.0.0.1';
const SERVICE_PORT = Number(process.env.DEMO_PORT ?? 3000);
const SANDBOX_PORT = Number(process.env.SANDBOX_PORT ?? 4010);
const SANDBOX_API_KEY = 'sandbox-api-key';
const ISSUER = 'stackone-connect-demo';
const AUDIENCE = 'stackone-connect-service';

export const DEMO_TENANTS = [
  { org_id: 'org_acme', org_name: 'Acme Inc', email: 'jane@acme.example', sub: 'user_jane' },
  { org_id: 'org_globex', org_name: 'Globex Corp', email: 'hank@globex.example', sub: 'user_hank' },
] as const;

export async function demoToken(secret: string, tenant: (typeof DEMO_TENANTS)[number]): Promise<string> {
  return new SignJWT({ org_id: tenant.org_id, org_name: tenant.org_name, email: tenant.email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(tenant.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('12h')
    .sign(new TextEncoder().encode(secret));
}

async function main(): Promise<void> {
  const jwtSecret = process.env.DEMO_JWT_SECRET ?? randomBytes(32).toString('base64url');
  const sandbox = await createSandbox({ host: HOST, port: SANDBOX_PORT, apiKey: SANDBOX_API_KEY });
  const config = loadConfig({
    NODE_ENV: 'development',
    HOST,
    PORT: String(SERVICE_PORT),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    STACKONE_BASE_URL: sandbox.url,
    STACKONE_API_KEY: SANDBOX_API_KEY,
    AUTH_JWT_SECRET: jwtSecret,
    AUTH_JWT_ISSUER: ISSUER,
    AUTH_JWT_AUDIENCE: AUDIENCE,
    SHUTDOWN_GRACE_MS: '0',
    REDIS_URL: process.env.REDIS_URL,
  });
  const app = await createApp(config);
  await app.listen(SERVICE_PORT, HOST);
  const base = `http://${HOST}:${SERVICE_PORT}`;
  const [acme, globex] = await Promise.all(DEMO_TENANTS.map((t) => demoToken(jwtSecret, t)));

  const lines = [
    '',
    'StackOne connect-session service — demo',
    '',
    `  Swagger UI      ${base}/docs   (Authorize → bearer → paste a token)`,
    `  Service         ${base}`,
    `  StackOne sandbox ${sandbox.url}  (hosted connect pages, accounts)`,
    '',
    `  Acme Inc (org_acme) token:`,
    `    ${acme}`,
    '',
    `  Globex Corp (org_globex) token — to try tenant isolation:`,
    `    ${globex}`,
    '',
    '  Create a connect session, then open its authLinkUrl in a browser:',
    `    curl -sS -X POST ${base}/v1/connect-sessions -H 'Authorization: Bearer ${acme}' -H 'Content-Type: application/json' -d '{"provider":"hibob"}'`,
    '',
    `  See the account afterwards:  curl -sS ${base}/v1/accounts -H 'Authorization: Bearer ${acme}'`,
    '',
    '  Ctrl+C stops both.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void Promise.allSettled([app.close(), sandbox.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`Demo failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
