/**
 * `npm run demo`: the StackOne sandbox, this service pointed at it, with a demo identity
 * configuration, and an example product page that embeds StackOne's real <stackone-hub>, so the
 * whole flow runs on one machine. Prints the page's address first, then the Swagger UI address, a
 * bearer token for two demo tenants, a curl line and the curl that breaks an account. Demo only:
 * the secrets below are made up per run.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { SignJWT } from 'jose';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/app.config';
import { createSandbox, DEFAULT_SANDBOX_API_KEY } from '../sandbox/sandbox';
import { EVENTS_PATH, startProductPage } from './product-page';

const HOST = '127.0.0.1';
const SANDBOX_API_KEY = DEFAULT_SANDBOX_API_KEY;
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

/** A start-up problem the user can fix; printed as one line. */
export class DemoError extends Error {}

/** Which variable picks each of the demo's ports, for the messages. */
export interface DemoPort {
  port: number;
  what: string;
  variable: string;
}

/**
 * The demo's ports: the service on DEMO_PORT (else PORT, else 3000), the sandbox on SANDBOX_PORT
 * (else 4010), the example product page on DEMO_PAGE_PORT (else 4020).
 */
export function demoPorts(env: Record<string, string | undefined>): { service: DemoPort; sandbox: DemoPort; page: DemoPort } {
  const pick = (names: string[], fallback: number, what: string): DemoPort => {
    const variable = names.find((n) => env[n] !== undefined && env[n] !== '');
    if (!variable) return { port: fallback, what, variable: names[0] };
    const value = env[variable] as string;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port < 1 || port > 65_535) throw new DemoError(`${variable} must be a port number (1-65535), got "${value}"`);
    return { port, what, variable };
  };
  return {
    service: pick(['DEMO_PORT', 'PORT'], 3000, 'the service'),
    sandbox: pick(['SANDBOX_PORT'], 4010, 'the StackOne sandbox'),
    page: pick(['DEMO_PAGE_PORT'], 4020, 'the example product page'),
  };
}

/** Why HOST:port cannot be listened on (EADDRINUSE, EACCES…), or undefined when it can. */
async function portProblem(port: number): Promise<string | undefined> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(port, HOST, () => server.close(() => resolve(undefined)));
  });
}

/**
 * Every port problem at once, before anything starts: the busy ports, and a port picked for two
 * things. Undefined when all is well. Each line names the port, what it is for and the variable
 * that picks it; the last suggests other ports for all of them.
 */
export async function portConflicts(ports: DemoPort[]): Promise<string | undefined> {
  const lines: string[] = [];
  const conflicting: DemoPort[] = [];
  for (const [i, p] of ports.entries()) {
    const twin = ports.slice(0, i).find((o) => o.port === p.port);
    if (twin) {
      lines.push(`port ${p.port} is picked for both ${twin.what} (${twin.variable}) and ${p.what} (${p.variable})`);
      conflicting.push(p);
    } else {
      const problem = await portProblem(p.port);
      if (problem === undefined) continue;
      lines.push(`port ${p.port} on ${HOST} (${p.what}, set by ${p.variable}) ${problem === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${problem})`}`);
      conflicting.push(p);
    }
  }
  if (conflicting.length === 0) return undefined;
  const taken = new Set(ports.map((p) => p.port));
  const suggestions = conflicting.map((p) => {
    let other = p.port;
    do other = other >= 65_535 ? 1024 : other + 1;
    while (taken.has(other));
    taken.add(other);
    return `${p.variable}=${other}`;
  });
  return `${lines.join('\n')}\nStop what is using ${conflicting.length > 1 ? 'them' : 'it'}, or pick other ports: ${suggestions.join(' ')} npm run demo`;
}

/** Listens, and turns "address in use" (taken since portConflicts looked) into a message saying which port and how to pick another. */
async function listening<T>(port: DemoPort, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    // Nest rethrows Fastify's listen error without its `code`, so the message is checked too.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' && !String((err as Error).message).includes('EADDRINUSE')) throw err;
    const other = port.port === 65_535 ? port.port - 1 : port.port + 1;
    throw new DemoError(
      `port ${port.port} on ${HOST} (${port.what}, set by ${port.variable}) is already in use. ` +
        `Stop what is using it, or pick another port: ${port.variable}=${other} npm run demo`,
    );
  }
}

/** What the break curl sets: an expired token, as StackOne reports one, with its signed account.updated. */
export const BREAK_STATUS = {
  status: 'expired',
  reasons: [{ code: 'token_expired', description: 'The refresh token was revoked' }],
  webhook: true,
} as const;

/**
 * The banner's account-health walk: a line that puts Acme's first account in ACCOUNT_ID (the
 * service's GET /v1/accounts; node parses the JSON, as npm brings it), the sandbox control that
 * breaks it, and the ?health filter that shows it.
 */
export function breakLines(base: string, sandboxUrl: string): string[] {
  const firstAccount = `node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).data[0]?.id ?? "none-connected-yet"'`;
  return [
    '  Break an account as an expired token would (the page then shows it broken, with "Reconnect").',
    `  The first line picks Acme's first account (or set ACCOUNT_ID=<accountId> yourself), the second breaks it:`,
    `    ACCOUNT_ID=$(curl -sS ${base}/v1/accounts -H "Authorization: Bearer $TOKEN" | ${firstAccount})`,
    `    curl -sS -X POST ${sandboxUrl}/__sandbox/accounts/$ACCOUNT_ID/status -H 'Content-Type: application/json' -d '${JSON.stringify(BREAK_STATUS)}'`,
    `  Then the broken ones:  curl -sS "${base}/v1/accounts?health=broken" -H "Authorization: Bearer $TOKEN"`,
  ];
}

async function main(): Promise<void> {
  const ports = demoPorts(process.env);
  const conflicts = await portConflicts([ports.service, ports.sandbox, ports.page]);
  if (conflicts) throw new DemoError(conflicts);
  const SERVICE_PORT = ports.service.port;
  const jwtSecret = process.env.DEMO_JWT_SECRET ?? randomBytes(32).toString('base64url');
  // Shared by the sandbox (signs) and the service (verifies), as a StackOne dashboard's endpoint secret would be.
  const webhookSecret = randomBytes(32).toString('base64url');
  const webhookUrl = `http://${HOST}:${SERVICE_PORT}/webhooks/stackone`;
  // The service relays events to the product page's backend, playing your internal service.
  const eventsSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const eventsUrl = `http://${HOST}:${ports.page.port}${EVENTS_PATH}`;
  const sandbox = await listening(ports.sandbox, () =>
    createSandbox({ host: HOST, port: ports.sandbox.port, apiKey: SANDBOX_API_KEY, webhook: { url: webhookUrl, secret: webhookSecret } }),
  );
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
    STACKONE_WEBHOOK_SECRET: webhookSecret,
    EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'product-page', url: eventsUrl, secret: eventsSecret }]),
  });
  const app = await createApp(config);
  try {
    await listening(ports.service, () => app.listen(SERVICE_PORT, HOST));
  } catch (err) {
    await Promise.allSettled([app.close(), sandbox.close()]);
    throw err;
  }
  const base = `http://${HOST}:${SERVICE_PORT}`;
  const [acme, globex] = await Promise.all(DEMO_TENANTS.map((t) => demoToken(jwtSecret, t)));
  let productPage: Awaited<ReturnType<typeof startProductPage>>;
  try {
    productPage = await listening(ports.page, () =>
      startProductPage({ host: HOST, port: ports.page.port, serviceUrl: base, bearer: acme, hubBaseUrl: sandbox.url, tenantName: DEMO_TENANTS[0].org_name, eventsSecret }),
    );
  } catch (err) {
    await Promise.allSettled([app.close(), sandbox.close()]);
    throw err;
  }

  const lines = [
    '',
    'StackOne connect-session service — demo',
    '',
    `  Example product page  ${productPage.url}   <- open this: "Connect your HR system" runs StackOne's own hub`,
    `                        (signed in as ${DEMO_TENANTS[0].org_name}; its backend calls the service with that tenant's token)`,
    '',
    `  Swagger UI      ${base}/docs   (Authorize → bearer → paste a token)`,
    `  Service         ${base}`,
    `  StackOne sandbox ${sandbox.url}  (hosted connect pages, accounts; API key ${SANDBOX_API_KEY})`,
    '',
    `  Acme Inc (org_acme) token; paste this line into your shell (the curl lines below use it):`,
    `    export TOKEN=${acme}`,
    '',
    `  Globex Corp (org_globex) token — to try tenant isolation:`,
    `    export GLOBEX_TOKEN=${globex}`,
    '',
    '  Create a connect session, then open its authLinkUrl in a browser:',
    `    curl -sS -X POST ${base}/v1/connect-sessions -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"provider":"hibob"}'`,
    '',
    `  Completing the hosted page makes the sandbox POST a signed account.created to ${webhookUrl}`,
    '  (as StackOne does; a random secret is shared for this run). Then see the session completed:',
    `    curl -sS ${base}/v1/connect-sessions/<sessionId> -H "Authorization: Bearer $TOKEN"`,
    `  and the webhooks received:  curl -sS ${base}/metrics | grep stackone_webhooks_received_total`,
    '',
    `  See the account afterwards:  curl -sS ${base}/v1/accounts -H "Authorization: Bearer $TOKEN"`,
    `  The events your internal services get: signed POSTs to ${eventsUrl} (listed on the product page),`,
    `  or polled:  curl -sS ${base}/v1/events -H "Authorization: Bearer $TOKEN"`,
    '',
    ...breakLines(base, sandbox.url),
    '',
    '  Ctrl+C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n'));

  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    void Promise.allSettled([productPage.close(), app.close(), sandbox.close()]).then(() => process.exit(0));
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
