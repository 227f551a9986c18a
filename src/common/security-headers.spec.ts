import helmet from 'helmet';
import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HELMET_OPTIONS, securityHeaders } from './security-headers';

/** What helmet's own middleware puts on a real Node response, for comparison. */
async function headersFromLiveHelmet(): Promise<IncomingHttpHeaders> {
  const middleware = helmet(HELMET_OPTIONS);
  const server = createServer((req, res) => middleware(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return Object.fromEntries(res.headers.entries());
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe(securityHeaders.name, () => {
  it('equals the headers helmet sets per request for the same options', async () => {
    const live = await headersFromLiveHelmet();
    const sut = securityHeaders();
    const generic = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    const liveSecurity = Object.fromEntries(Object.entries(live).filter(([name]) => !generic.has(name)));
    expect(sut).toEqual(liveSecurity);
    expect(sut['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");
  });

  it('refuses options helmet refuses, at start-up rather than per request', () => {
    expect(() => securityHeaders({ contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], 'bad directive': ['x'] } } })).toThrow();
  });
});
