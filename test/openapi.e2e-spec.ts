import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/app.config';
import { CLIENT_SCHEMA, OPENAPI_DOCUMENT, REGENERATE, renderClientSchema, renderServedDocument } from '../scripts/openapi-document';

/**
 * The published document and the client's types are generated files: these fail when the service's
 * routes or DTOs changed without `npm run openapi`, or a generated file was edited by hand.
 */
const root = join(__dirname, '..');
const checkedIn = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Fails naming the file, the command that fixes it, and the first line that differs. */
function expectUpToDate(path: string, generated: string): void {
  const stored = checkedIn(path);
  if (generated === stored) return;
  const want = generated.split('\n');
  const have = stored.split('\n');
  const line = want.findIndex((text, i) => text !== have[i]);
  throw new Error(
    `${path} is out of date: run \`${REGENERATE}\` and commit the result.\n` +
      `First difference at line ${line + 1}:\n  generated: ${want[line] ?? '(end of file)'}\n  checked in: ${have[line] ?? '(end of file)'}`,
  );
}

describe('published OpenAPI document and typed client (generated files up to date)', () => {
  it(`${OPENAPI_DOCUMENT} is exactly what the service serves at /docs-json`, async () => {
    const served = await renderServedDocument({ createApp, loadConfig });
    expect(JSON.parse(served)).toMatchObject({ openapi: expect.stringMatching(/^3\./), paths: expect.objectContaining({ '/v1/connect-sessions': expect.any(Object) }) });
    expectUpToDate(OPENAPI_DOCUMENT, served);
  });

  it(`${CLIENT_SCHEMA} is generated from ${OPENAPI_DOCUMENT}`, async () => {
    expectUpToDate(CLIENT_SCHEMA, await renderClientSchema(checkedIn(OPENAPI_DOCUMENT)));
  });

  it('names the file and the command when a document differs', () => {
    const stored = checkedIn(OPENAPI_DOCUMENT);
    const drifted = stored.replace('"title": "StackOne connect-session service"', '"title": "Renamed"');
    expect(drifted).not.toBe(stored);
    expect(() => expectUpToDate(OPENAPI_DOCUMENT, drifted)).toThrow(/docs\/openapi\.json is out of date: run `npm run openapi`[\s\S]*generated: +"title": "Renamed"/);
  });
});
