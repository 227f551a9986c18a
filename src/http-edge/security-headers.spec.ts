import helmet from 'helmet';
import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HELMET_OPTIONS, HELMET_OPTIONS_PLAIN_HTTP, securityHeaders, setSecurityHeaders } from './security-headers';

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

  it('differs between the variants only in upgrade-insecure-requests', () => {
    const tls = securityHeaders(HELMET_OPTIONS);
    const plain = securityHeaders(HELMET_OPTIONS_PLAIN_HTTP);
    expect(tls['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(plain['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(plain['content-security-policy']).toBe(tls['content-security-policy'].replace(/;?upgrade-insecure-requests/, ''));
    expect({ ...plain, 'content-security-policy': '' }).toEqual({ ...tls, 'content-security-policy': '' });
  });
});

describe(setSecurityHeaders.name, () => {
  const cspFor = (protocol: string): string => {
    let set: Record<string, string> = {};
    const reply = { headers: (h: Record<string, string>) => (set = h) } as unknown as FastifyReply;
    setSecurityHeaders({ protocol } as FastifyRequest, reply);
    return set['content-security-policy'];
  };

  it('sends upgrade-insecure-requests only for requests that arrived over TLS', () => {
    expect(cspFor('https')).toContain('upgrade-insecure-requests');
    expect(cspFor('http')).not.toContain('upgrade-insecure-requests');
    expect(cspFor('http')).toContain("default-src 'self'");
  });
});
