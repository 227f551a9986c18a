// The benchmark's StackOne stand-in (the toolkit's, test/support/stackone-stand-in.ts): Basic auth,
// POST /connect_sessions, GET /accounts, GET /connectors/meta; nothing recorded, so it stays cheap.
import { startStackOneStandIn } from '../test/support/stackone-stand-in.ts';

const upstream = await startStackOneStandIn({ apiKey: process.env.UPSTREAM_API_KEY ?? 'bench-key', record: false, port: Number(process.env.PORT ?? 0) });
if (process.env.BENCH_DEBUG) {
  let conns = 0;
  upstream.server.on('connection', () => (conns += 1));
  setInterval(() => console.error('upstream connections', conns), 1000).unref();
}
console.log(`LISTENING ${new URL(upstream.url).port}`);
process.on('SIGTERM', () => process.exit(0));
