// `npm run openapi`: writes docs/openapi.json from the compiled service (dist/, built first by the
// npm script), exactly as it serves it at /docs-json, then the client's types from that file.
// `npm run client:generate` (`--client`): only the types, from the checked-in docs/openapi.json.
// test/openapi.e2e-spec.ts fails when either file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLIENT_SCHEMA, OPENAPI_DOCUMENT, renderClientSchema, renderServedDocument } from './openapi-document.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function writeDocument(): Promise<string> {
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const { createApp } = require(join(root, 'dist/app.factory.js')) as typeof import('../src/app.factory.ts');
  const { loadConfig } = require(join(root, 'dist/app.config.js')) as typeof import('../src/app.config.ts');
  const document = await renderServedDocument({ createApp, loadConfig });
  writeFileSync(join(root, OPENAPI_DOCUMENT), document);
  process.stdout.write(`Wrote ${OPENAPI_DOCUMENT} (${Object.keys((JSON.parse(document) as { paths: object }).paths).length} paths)\n`);
  return document;
}

const document = process.argv.includes('--client') ? readFileSync(join(root, OPENAPI_DOCUMENT), 'utf8') : await writeDocument();
writeFileSync(join(root, CLIENT_SCHEMA), await renderClientSchema(document));
process.stdout.write(`Wrote ${CLIENT_SCHEMA}\n`);
