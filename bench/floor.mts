// The floor for this service's design: bare node:http + an undici Pool making the same two StackOne
// calls per request as the service (the account-action look-up alongside the creation), with no
// framework, auth, validation, logging or resilience. Nothing built on these two calls can beat it;
// the benchmark prints it so the service's figures can be read against what is physically possible.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const UPSTREAM = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010';
const authorization = `Basic ${Buffer.from(`${process.env.UPSTREAM_API_KEY ?? 'bench-key'}:`).toString('base64')}`;
const pool = new Pool(UPSTREAM, { connections: 64 });

async function call(path: string, method: 'GET' | 'POST', body?: string): Promise<unknown> {
  const res = await pool.request({ path, method, headers: body ? { authorization, 'content-type': 'application/json' } : { authorization }, body });
  return JSON.parse(await res.body.text()) as unknown;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const { originUsername, provider } = JSON.parse(Buffer.concat(chunks).toString()) as { originUsername?: string; provider?: string };
    const payload = JSON.stringify({ origin_owner_id: 'customer-123', origin_owner_name: 'Acme Inc', origin_username: originUsername, provider });
    Promise.all([call(`/accounts?origin_owner_id=customer-123&providers=${encodeURIComponent(provider ?? '')}`, 'GET'), call('/connect_sessions', 'POST', payload)])
      .then(([, session]) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ token: (session as { token: string }).token }));
      })
      .catch(() => {
        res.writeHead(502);
        res.end();
      });
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => process.exit(0));
