// The published OpenAPI document (docs/openapi.json): what the service serves at /docs-json, built
// in-process without listening; and the client's types generated from it. Shared by scripts/openapi.mts (from dist/) and the drift test (from
// src/), so it takes the app's factory as arguments. Loaded by Node's type stripping: keep it free of
// TS-only runtime syntax and of relative runtime imports (`import type` only).
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import type { OpenAPI3 } from 'openapi-typescript';
import type { DestinationStream } from 'pino';
import type { AllConfig } from '../src/app.config.ts';
import type { RawEnv } from '../src/config/load-config.ts';

/** Where the document is checked in, and the client's types generated from it (paths from the project root). */
export const OPENAPI_DOCUMENT = 'docs/openapi.json';
export const CLIENT_SCHEMA = 'clients/typescript/src/schema.d.ts';
export const REGENERATE = 'npm run openapi';

export interface AppFactory {
  createApp: (config: AllConfig, options: { logDestination?: DestinationStream }) => Promise<NestFastifyApplication>;
  loadConfig: (env: RawEnv) => AllConfig;
}

/**
 * The service's defaults plus the two required secrets, fresh and random (nothing in the document
 * depends on them); the caller's environment is not read, so a local .env or REDIS_URL cannot change
 * the document. StackOne points at a closed local port: building the document calls nobody.
 */
function documentEnv(): RawEnv {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    STACKONE_BASE_URL: 'http://127.0.0.1:9',
    STACKONE_API_KEY: randomBytes(24).toString('base64url'),
    AUTH_JWT_SECRET: randomBytes(32).toString('base64url'),
  };
}

/** Log lines (warnings only, at LOG_LEVEL warn) go to stderr, never into the document's output. */
const toStderr = new Writable({ write: (chunk, _encoding, done): void => void process.stderr.write(chunk as Buffer, () => done()) });

/**
 * GET /docs-json answered by the whole app through Fastify's inject (no port), rendered as the file
 * is stored: 2-space JSON in the served key order (Nest's, fixed by the code) and a final newline.
 */
export async function renderServedDocument({ createApp, loadConfig }: AppFactory): Promise<string> {
  const app = await createApp(loadConfig(documentEnv()), { logDestination: toStderr });
  try {
    const res = await app.inject({ method: 'GET', url: '/docs-json' });
    if (res.statusCode !== 200) throw new Error(`GET /docs-json answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
    return `${JSON.stringify(JSON.parse(res.body), null, 2)}\n`;
  } finally {
    await app.close();
  }
}

/**
 * The client's schema.d.ts for a document, as `openapi-typescript docs/openapi.json` writes it (same
 * header, default options). Through the API, not the CLI: the CLI would lint with the root
 * redocly.yaml, whose strict findings belong to `npm run lint:openapi`. Its own validation (Redocly's
 * `minimal` rules) still throws on an invalid document; its warnings are not printed.
 */
export async function renderClientSchema(document: string): Promise<string> {
  return `${COMMENT_HEADER}${astToString(await openapiTS(JSON.parse(document) as OpenAPI3, { silent: true }))}`;
}
