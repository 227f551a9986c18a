// The seed document's Express handler, faithfully: JSON body, fetch to StackOne, return { token }.
import express from 'express';

const app = express();
const jsonParser = express.json();
const UPSTREAM = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010';
const STACKONE_API_KEY = process.env.UPSTREAM_API_KEY ?? 'bench-key';

app.post('/stackone_connect_sessions', jsonParser, async (req, res) => {
  const headers = { Authorization: 'Basic ' + Buffer.from(STACKONE_API_KEY + ':' + '').toString('base64') };
  const metadata = { source: 'my-backend' };
  const { originUsername, provider } = req.body as { originUsername?: string; provider?: string };
  const payload = { origin_owner_id: 'customer-123', origin_owner_name: 'Acme Inc', origin_username: originUsername, provider, metadata };
  try {
    const responseWithToken = await fetch(`${UPSTREAM}/connect_sessions`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(payload) });
    const { token } = (await responseWithToken.json()) as { token: string };
    res.send({ token });
  } catch {
    res.status(500).send('error when trying to fetch session');
  }
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`LISTENING ${(server.address() as { port: number }).port}`);
});
process.on('SIGTERM', () => process.exit(0));
