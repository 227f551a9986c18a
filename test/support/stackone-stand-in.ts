// A small StackOne stand-in: a real HTTP server on 127.0.0.1 that speaks StackOne's wire format
// (Basic auth, POST /connect_sessions, GET /accounts, GET /connectors/meta) and answers whatever a
// test scripts. The specs use it where the full sandbox is too much; bench/upstream.mts runs it as
// the benchmark's upstream (through Node's type stripping: `import type`, no relative imports).
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type StandInRequest = IncomingMessage & { body: string };
export type StandInHandler = (req: StandInRequest, res: ServerResponse) => void;

export interface SeenRequest {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface StandInOptions {
  /** Requests without `Authorization: Basic base64(apiKey:)` get 401. Unset: no check. */
  apiKey?: string;
  /** Keep every request in `seen` (default true; the benchmark turns it off). */
  record?: boolean;
  /** Default 0: a free port. */
  port?: number;
  /** Answers every request no `next` handler takes, in place of the default routes. */
  fallback?: StandInHandler;
}

export interface StackOneStandIn {
  url: string;
  server: Server;
  seen: SeenRequest[];
  /** Requests by method and first path segment (`GET /accounts`), counted even when `record` is off; also served at GET /__stand-in/calls. */
  calls: Map<string, number>;
  /** Answers for the next requests, in order; after them the default routes answer again. */
  next(...handlers: StandInHandler[]): void;
  /** The session POST /connect_sessions answers with by default (change it to make StackOne misbehave). */
  session: (body: Record<string, unknown>) => Record<string, unknown>;
  reset(): void;
  close(): Promise<void>;
}

/** The Authorization header StackOne expects for `apiKey`: Basic, the key as user name, no password. */
export const basicAuth = (apiKey: string): string => `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`;

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A handler answering with StackOne's error body (`statusCode`, `message`, `timestamp`). */
export const fail =
  (status: number, headers: Record<string, string> = {}, message = `failure ${status}`): StandInHandler =>
  (_req, res) =>
    json(res, status, { statusCode: status, message, timestamp: new Date().toISOString() }, headers);

let sessionIds = 0;

/** StackOne's answer to a connect-session request, echoing the owner it was sent. */
/**
 * A session StackOne dated so that, with the shortest lifetime (60 s, `expiresIn: 60`), it expires
 * `inMs` from now: for expiry tests that cannot wait a minute.
 */
export function sessionExpiringIn(inMs: number): (body: Record<string, unknown>) => Record<string, unknown> {
  return (body) => ({ ...wireSession(body), created_at: new Date(Date.now() - (60_000 - inMs)).toISOString() });
}

export function wireSession(body: Record<string, unknown>): Record<string, unknown> {
  sessionIds += 1;
  const token = `tok_${sessionIds}_${Math.random().toString(36).slice(2)}`;
  return {
    id: sessionIds,
    organization_id: 1,
    project_id: 'stand-in',
    origin_owner_id: body.origin_owner_id,
    origin_owner_name: body.origin_owner_name,
    origin_username: body.origin_username ?? null,
    provider: body.provider ?? null,
    created_at: new Date().toISOString(),
    token,
    auth_link_url: `http://127.0.0.1/connect?token=${token}`,
  };
}

const CONNECTORS = JSON.stringify([{ provider: 'hibob', provider_name: 'HiBob', category: 'hris', models: {} }]);
const UNAUTHORIZED = JSON.stringify({ statusCode: 401, message: 'Unauthorized' });

export async function startStackOneStandIn(options: StandInOptions = {}): Promise<StackOneStandIn> {
  const expected = options.apiKey === undefined ? undefined : basicAuth(options.apiKey);
  const record = options.record ?? true;
  let handlers: StandInHandler[] = [];

  const routes: StandInHandler = (req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/connectors')) return json(res, 200, CONNECTORS);
    if (req.method === 'GET' && req.url?.startsWith('/accounts')) return json(res, 200, '[]');
    if (req.method === 'POST' && req.url === '/connect_sessions') return json(res, 201, standIn.session(JSON.parse(req.body || '{}') as Record<string, unknown>));
    json(res, 404, { statusCode: 404, message: `stand-in: no route for ${req.method} ${req.url}` });
  };

  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/__stand-in/calls') return json(res, 200, Object.fromEntries(standIn.calls));
    const route = `${req.method} /${(req.url ?? '').split('?')[0].split('/')[1] ?? ''}`;
    standIn.calls.set(route, (standIn.calls.get(route) ?? 0) + 1);
    if (expected !== undefined && req.headers.authorization !== expected) {
      req.resume();
      return json(res, 401, UNAUTHORIZED);
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (record) standIn.seen.push({ method: req.method, url: req.url, headers: req.headers, body });
      const handler = handlers.length > 0 ? (handlers.shift() as StandInHandler) : (options.fallback ?? routes);
      handler(Object.assign(req, { body }), res);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');

  const standIn: StackOneStandIn = {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    server,
    seen: [],
    calls: new Map(),
    next: (...more) => void handlers.push(...more),
    session: wireSession,
    reset: () => {
      standIn.seen = [];
      standIn.calls.clear();
      handlers = [];
    },
    close: async () => {
      if (!server.listening) return;
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  return standIn;
}
