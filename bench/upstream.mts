// A minimal StackOne stand-in for the benchmark: Basic auth, POST /connect_sessions, GET /accounts.
import { createServer } from 'node:http';

const key = process.env.UPSTREAM_API_KEY ?? 'bench-key';
const expected = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
let id = 0;
const server = createServer((req, res) => {
  if (req.headers.authorization !== expected) {
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end('{"statusCode":401,"message":"Unauthorized"}');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (req.method === 'GET' && req.url?.startsWith('/connectors')) { res.writeHead(200, { 'content-type': 'application/json' }); res.end('[{"provider":"hibob","provider_name":"HiBob","category":"hris","models":{}}]'); return; }
    if (req.method === 'GET' && req.url?.startsWith('/accounts')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
      return;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    id += 1;
    const token = `tok_${id}_${Math.random().toString(36).slice(2)}`;
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, organization_id: 1, project_id: 'bench', origin_owner_id: body.origin_owner_id, origin_owner_name: body.origin_owner_name, origin_username: body.origin_username ?? null, provider: body.provider ?? null, created_at: new Date().toISOString(), token, auth_link_url: `http://127.0.0.1/connect?token=${token}` }));
  });
});
server.keepAliveTimeout = 60_000;
let conns = 0;
server.on('connection', () => { conns += 1; });
if (process.env.BENCH_DEBUG) setInterval(() => console.error('upstream connections', conns), 1000).unref();
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => process.exit(0));
