/**
 * The StackOne sandbox: an in-memory simulator of the parts of StackOne's API this service uses,
 * with StackOne's wire shapes (snake_case), HTTP Basic auth with the project API key, StackOne's
 * error bodies ({ statusCode, message, timestamp }) and its upsert rules when a session completes.
 * Never imported by the service; started by `npm run start:sandbox`, the demo and the tests.
 *
 * API (Basic auth: user = API key, empty password):
 *   POST /connect_sessions, POST /connect_sessions/authenticate
 *   GET /accounts (origin_owner_id, origin_owner_ids, provider, providers, account_ids, status, page, page_size)
 *   GET | PATCH | DELETE /accounts/{id}, GET /accounts/{id}/meta
 *   GET /connectors/meta, GET /connectors/meta/{provider}
 * Hosted page (what auth_link_url points at): GET /connect?token=…, POST /connect (form).
 *
 * Fault injection, for tests (no auth; control endpoints under /__sandbox/):
 *   POST /__sandbox/faults  { method?, path?, count?, status?, retryAfter?, message?, delayMs?,
 *                             dripMs?, connectionReset?, malformed?, redirect?, hugeBytes? }
 *     The next `count` (default 1) requests whose method matches and whose path starts with `path`
 *     get the fault: `status` (+ Retry-After, StackOne error body), `delayMs` before answering
 *     (normally, or with `status`), `dripMs` (the answer's body a byte at a time), `connectionReset`
 *     (the connection is destroyed; `reset` is its old name), `malformed` (201 with `{"tok`), `redirect` (302 to that URL),
 *     `hugeBytes` (a 201 body of that size). Programmatically: `sandbox.injectFault(spec)`.
 *   GET /__sandbox/requests   every API request received (method, path, query, headers, body)
 *   GET /__sandbox/accounts   raw account state, credentials included
 *   POST /__sandbox/reset     forget requests, faults, sessions and accounts
 *   GET /__sandbox/health     liveness
 *   GET /__sandbox/logos/{provider}.png   the connectors' logo_url (a small generated PNG)
 * GET /favicon.ico answers without auth, so a browser on the hosted page logs no error.
 */
import formbody from '@fastify/formbody';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectedPage, connectPage, errorPage } from './hosted-page';
import { logoPng, solidPng } from './logos';
import { DEFAULT_PROVIDERS, SandboxProvider } from './providers';

export const CATEGORIES = ['ats', 'hris', 'hris-legacy', 'crm', 'iam', 'marketing', 'lms', 'stackone', 'documents', 'ticketing', 'screening', 'messaging', 'accounting'];

export interface SandboxOptions {
  host: string;
  port: number;
  apiKey: string;
  /** Base of auth_link_url (what a browser can reach); defaults to the listening URL. */
  publicUrl?: string;
  providers: SandboxProvider[];
}

export interface FaultSpec {
  method?: string;
  path?: string;
  count?: number;
  status?: number;
  retryAfter?: number | string;
  message?: string;
  delayMs?: number;
  dripMs?: number;
  /** Destroy the connection instead of answering (the client sees ECONNRESET). */
  connectionReset?: boolean;
  /** @deprecated The old name of `connectionReset`; still honoured so older tests keep working. */
  reset?: boolean;
  malformed?: boolean;
  redirect?: string;
  hugeBytes?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface SandboxSession {
  id: number;
  organization_id: number;
  project_id: string;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username?: string;
  provider?: string;
  provider_version?: string;
  categories?: string[];
  account_id?: string;
  label?: string;
  multiple?: boolean;
  metadata?: Record<string, unknown>;
  type?: 'production' | 'test';
  created_at: string;
  token: string;
  auth_link_url: string;
  expiresAt: number;
  completedAccountId?: string;
}

export interface SandboxAccount {
  id: string;
  provider: string;
  provider_name: string;
  status: 'active' | 'inactive' | 'error';
  status_reasons: null;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username: string | null;
  label: string | null;
  type: 'production' | 'test' | null;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  credentials: Record<string, unknown>;
  setup_information: Record<string, unknown>;
}

export interface SandboxState {
  sessions: Map<string, SandboxSession>;
  accounts: Map<string, SandboxAccount>;
  faults: (FaultSpec & { remaining: number })[];
  requests: RecordedRequest[];
  nextSessionId: number;
}

export interface Sandbox {
  url: string;
  app: FastifyInstance;
  state: SandboxState;
  readonly requests: RecordedRequest[];
  injectFault(fault: FaultSpec): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_SANDBOX_API_KEY = 'sandbox-api-key';
const ORGANIZATION_ID = 4242;
const PROJECT_ID = 'sandbox-project';
const MAX_RECORDED = 10_000;

const errorBody = (statusCode: number, message: string): Record<string, unknown> => ({ statusCode, message, timestamp: new Date().toISOString() });

function toList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

function newAccountId(): string {
  // StackOne account ids are long numeric strings.
  return `${Date.now()}${Math.floor(Math.random() * 1e6).toString().padStart(6, '0')}`;
}

function publicAccount(a: SandboxAccount): SandboxAccount {
  // Like StackOne, answers carry credentials and setup information: the service must drop them.
  return { ...a };
}

export async function createSandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  const opts: SandboxOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKey: options.apiKey ?? DEFAULT_SANDBOX_API_KEY,
    publicUrl: options.publicUrl,
    providers: options.providers ?? DEFAULT_PROVIDERS,
  };
  const state: SandboxState = { sessions: new Map(), accounts: new Map(), faults: [], requests: [], nextSessionId: 1 };
  const expectedAuth = `Basic ${Buffer.from(`${opts.apiKey}:`).toString('base64')}`;
  const providerByKey = new Map(opts.providers.map((p) => [p.key, p]));
  let publicUrl = '';

  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  await app.register(formbody);

  const isControl = (url: string): boolean => url.startsWith('/__sandbox') || url === '/favicon.ico';
  const isHostedPage = (url: string): boolean => url === '/connect' || url.startsWith('/connect?');

  // Record, then inject faults, then check StackOne auth: in that order, like a real network + API.
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url;
    if (isControl(url) || isHostedPage(url)) return;
    const path = url.split('?', 1)[0];
    if (state.requests.length < MAX_RECORDED) {
      state.requests.push({ method: request.method, path, query: { ...(request.query as object) }, headers: { ...request.headers }, body: request.body });
    }
    const fault = state.faults.find((f) => f.remaining > 0 && (!f.method || f.method.toUpperCase() === request.method) && (!f.path || path.startsWith(f.path)));
    if (fault) {
      fault.remaining -= 1;
      await applyFault(fault, request, reply);
      return;
    }
    if (request.headers.authorization !== expectedAuth) {
      return reply.code(401).send(errorBody(401, 'Unauthorized: invalid API key'));
    }
  });

  async function applyFault(fault: FaultSpec, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (fault.delayMs) await sleep(fault.delayMs);
    if (fault.connectionReset || fault.reset) {
      request.raw.socket.destroy();
      reply.hijack();
      return;
    }
    if (fault.malformed) {
      reply.hijack();
      reply.raw.writeHead(201, { 'content-type': 'application/json' });
      reply.raw.end('{"tok');
      return;
    }
    if (fault.redirect) {
      await reply.code(302).header('location', fault.redirect).send();
      return;
    }
    if (fault.hugeBytes) {
      await reply.code(201).header('content-type', 'application/json').send(`{"pad":"${'x'.repeat(fault.hugeBytes)}"}`);
      return;
    }
    if (fault.dripMs) {
      reply.hijack();
      const body = JSON.stringify({ token: 'drip', auth_link_url: 'x', origin_owner_id: 'x', origin_owner_name: 'x', created_at: new Date().toISOString() });
      reply.raw.writeHead(fault.status ?? 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      for (const ch of body) {
        if (reply.raw.destroyed) return;
        reply.raw.write(ch);
        await sleep(fault.dripMs);
      }
      reply.raw.end();
      return;
    }
    if (fault.status) {
      if (fault.retryAfter !== undefined) void reply.header('retry-after', String(fault.retryAfter));
      await reply.code(fault.status).send(errorBody(fault.status, fault.message ?? `Injected fault ${fault.status}`));
    }
    // delayMs alone: fall through to the normal handler.
  }

  // ---- Connect sessions ----------------------------------------------------------------------
  app.post('/connect_sessions', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const problem = validateSessionBody(body, providerByKey);
    if (problem) return reply.code(400).send(errorBody(400, problem));
    const token = randomBytes(32).toString('base64url');
    const createdAt = new Date();
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 1800;
    const session: SandboxSession = {
      id: state.nextSessionId++,
      organization_id: ORGANIZATION_ID,
      project_id: PROJECT_ID,
      origin_owner_id: body.origin_owner_id as string,
      origin_owner_name: body.origin_owner_name as string,
      origin_username: body.origin_username as string | undefined,
      provider: body.provider as string | undefined,
      provider_version: body.provider_version as string | undefined,
      categories: body.categories as string[] | undefined,
      account_id: body.account_id as string | undefined,
      label: body.label as string | undefined,
      multiple: body.multiple as boolean | undefined,
      metadata: body.metadata as Record<string, unknown> | undefined,
      type: body.type as 'production' | 'test' | undefined,
      created_at: createdAt.toISOString(),
      token,
      auth_link_url: `${publicUrl}/connect?token=${encodeURIComponent(token)}`,
      expiresAt: createdAt.getTime() + expiresIn * 1000,
    };
    state.sessions.set(token, session);
    return reply.code(201).send(sessionWire(session, true));
  });

  app.post('/connect_sessions/authenticate', async (request, reply) => {
    const token = (request.body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '') return reply.code(400).send(errorBody(400, 'token must be a string'));
    const session = state.sessions.get(token);
    if (!session || session.expiresAt <= Date.now()) return reply.code(401).send(errorBody(401, 'Invalid or expired connect session token'));
    return reply.code(201).send(sessionWire(session, false));
  });

  // ---- Accounts --------------------------------------------------------------------------------
  app.get('/accounts', async (request) => {
    const q = request.query as Record<string, unknown>;
    const owners = [...toList(q.origin_owner_id), ...toList(q.origin_owner_ids)];
    const providers = [...toList(q.provider), ...toList(q.providers)];
    const ids = toList(q.account_ids);
    const statuses = toList(q.status);
    const page = Math.max(1, Number(q.page ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(q.page_size ?? 25) || 25));
    const all = [...state.accounts.values()].filter(
      (a) =>
        (owners.length === 0 || owners.includes(a.origin_owner_id)) &&
        (providers.length === 0 || providers.includes(a.provider)) &&
        (ids.length === 0 || ids.includes(a.id)) &&
        (statuses.length === 0 || statuses.includes(a.status)),
    );
    return all.slice((page - 1) * pageSize, page * pageSize).map(publicAccount);
  });

  app.get('/accounts/:id', async (request, reply) => {
    const account = state.accounts.get((request.params as { id: string }).id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    return publicAccount(account);
  });

  app.get('/accounts/:id/meta', async (request, reply) => {
    const account = state.accounts.get((request.params as { id: string }).id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    return { provider: account.provider, category: providerByKey.get(account.provider)?.category ?? 'hris', models: {} };
  });

  app.patch('/accounts/:id', async (request, reply) => {
    const account = state.accounts.get((request.params as { id: string }).id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (body.label !== undefined) account.label = typeof body.label === 'string' ? body.label : null;
    if (body.metadata !== undefined) account.metadata = body.metadata as Record<string, unknown> | null;
    if (body.type === 'production' || body.type === 'test') account.type = body.type;
    account.updated_at = new Date().toISOString();
    return publicAccount(account);
  });

  app.delete('/accounts/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const account = state.accounts.get(id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    state.accounts.delete(id);
    return publicAccount(account);
  });

  // ---- Connectors ------------------------------------------------------------------------------
  const connectorMeta = (p: SandboxProvider): Record<string, unknown> => ({
    provider: p.key,
    provider_name: p.name,
    category: p.category,
    active: true,
    models: {},
    resources: { images: { logo_url: `${publicUrl}/__sandbox/logos/${p.key}.png` } },
  });
  app.get('/connectors/meta', async () => opts.providers.map(connectorMeta));
  app.get('/connectors/meta/:provider', async (request, reply) => {
    const p = providerByKey.get((request.params as { provider: string }).provider);
    if (!p) return reply.code(404).send(errorBody(404, 'Connector not found'));
    return connectorMeta(p);
  });

  // ---- Hosted connect page ---------------------------------------------------------------------
  const liveSession = (token: unknown): SandboxSession | string => {
    const session = typeof token === 'string' ? state.sessions.get(token) : undefined;
    if (!session) return 'This connect link is not valid.';
    if (session.expiresAt <= Date.now()) return 'This connect link has expired. Ask for a new one.';
    if (session.completedAccountId) return 'This connect link has already been used.';
    return session;
  };

  app.get('/connect', async (request, reply) => {
    const session = liveSession((request.query as { token?: unknown }).token);
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (typeof session === 'string') return reply.code(410).send(errorPage(session));
    const offered = session.categories?.length ? opts.providers.filter((p) => session.categories?.includes(p.category)) : opts.providers;
    // Edit mode opens on the account's own provider.
    const editing = session.account_id ? state.accounts.get(session.account_id) : undefined;
    return connectPage({ ...session, provider: session.provider ?? editing?.provider }, offered);
  });

  app.post('/connect', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, unknown>;
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    const session = liveSession(form.token);
    if (typeof session === 'string') return reply.code(410).send(errorPage(session));
    const editing = session.account_id ? state.accounts.get(session.account_id) : undefined;
    const provider = session.provider ?? editing?.provider ?? (typeof form.provider === 'string' ? form.provider : '');
    const meta = providerByKey.get(provider);
    if (!meta) return reply.code(400).send(errorPage('Pick one of the offered providers.'));
    if (typeof form.username !== 'string' || form.username === '' || typeof form.api_key !== 'string' || form.api_key === '') {
      return reply.code(400).send(errorPage('Enter a username and an API key.'));
    }
    const result = completeSession(session, meta, { username: form.username, api_key: form.api_key });
    if (typeof result === 'string') return reply.code(403).send(errorPage(result));
    return connectedPage(result.account, result.action);
  });

  /** StackOne's upsert rules (the seed document's tables). */
  function completeSession(
    session: SandboxSession,
    provider: SandboxProvider,
    secret: { username: string; api_key: string },
  ): { account: SandboxAccount; action: 'created' | 'updated' } | string {
    const now = new Date().toISOString();
    const credentials = { username: secret.username, api_key: secret.api_key, refresh_token: `rt_${randomUUID()}` };
    const setupInformation = { subdomain: `${session.origin_owner_id}.example`, webhook_secret: `whsec_${randomBytes(12).toString('hex')}` };
    let target: SandboxAccount | undefined;
    if (session.account_id) {
      target = state.accounts.get(session.account_id);
      if (!target) return 'The account to update does not exist.';
      if (target.origin_owner_id !== session.origin_owner_id) return 'This account belongs to another owner; nothing was updated.';
    } else if (!session.multiple) {
      target = [...state.accounts.values()]
        .filter((a) => a.origin_owner_id === session.origin_owner_id && a.provider === provider.key)
        .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || Number(b.id) - Number(a.id))[0];
    }
    if (target) {
      target.credentials = credentials;
      target.setup_information = setupInformation;
      target.status = 'active';
      target.origin_owner_name = session.origin_owner_name;
      if (session.origin_username) target.origin_username = session.origin_username;
      if (session.label !== undefined) target.label = session.label;
      if (session.metadata !== undefined) target.metadata = session.metadata;
      if (session.type !== undefined) target.type = session.type;
      target.updated_at = now;
      session.completedAccountId = target.id;
      return { account: target, action: 'updated' };
    }
    const account: SandboxAccount = {
      id: newAccountId(),
      provider: provider.key,
      provider_name: provider.name,
      status: 'active',
      status_reasons: null,
      origin_owner_id: session.origin_owner_id,
      origin_owner_name: session.origin_owner_name,
      origin_username: session.origin_username ?? null,
      label: session.label ?? null,
      type: session.type ?? 'production',
      metadata: session.metadata ?? null,
      created_at: now,
      updated_at: now,
      credentials,
      setup_information: setupInformation,
    };
    state.accounts.set(account.id, account);
    session.completedAccountId = account.id;
    return { account, action: 'created' };
  }

  // ---- Control API -----------------------------------------------------------------------------
  app.get('/__sandbox/health', async () => ({ status: 'ok' }));
  app.get('/__sandbox/requests', async () => state.requests);
  app.get('/__sandbox/accounts', async () => [...state.accounts.values()]);
  const logos = new Map(opts.providers.map((p) => [`${p.key}.png`, logoPng(p.key)]));
  app.get('/__sandbox/logos/:file', async (request, reply) => {
    const png = logos.get((request.params as { file: string }).file);
    if (!png) return reply.code(404).send(errorBody(404, 'No such logo'));
    return reply.type('image/png').header('cache-control', 'public, max-age=86400').send(png);
  });
  const favicon = solidPng([47, 91, 234], 16);
  app.get('/favicon.ico', async (_request, reply) => reply.type('image/png').header('cache-control', 'public, max-age=86400').send(favicon));
  app.post('/__sandbox/faults', async (request, reply) => {
    injectFault((request.body ?? {}));
    return reply.code(204).send();
  });
  app.post('/__sandbox/reset', async (_request, reply) => {
    reset();
    return reply.code(204).send();
  });

  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url.split('?', 1)[0]}`)));

  function injectFault(fault: FaultSpec): void {
    state.faults.push({ ...fault, remaining: fault.count ?? 1 });
  }

  function reset(): void {
    state.sessions.clear();
    state.accounts.clear();
    state.faults.length = 0;
    state.requests.length = 0;
  }

  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = address.replace('[::1]', '127.0.0.1');
  publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, '');
  return {
    url,
    app,
    state,
    get requests(): RecordedRequest[] {
      return state.requests;
    },
    injectFault,
    reset,
    close: () => app.close(),
  };
}

function sessionWire(s: SandboxSession, withToken: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: s.id,
    organization_id: s.organization_id,
    project_id: s.project_id,
    origin_owner_id: s.origin_owner_id,
    origin_owner_name: s.origin_owner_name,
    origin_username: s.origin_username ?? null,
    provider: s.provider ?? null,
    categories: s.categories ?? null,
    account_id: s.account_id ?? null,
    label: s.label ?? null,
    metadata: s.metadata ?? null,
    type: s.type ?? null,
    created_at: s.created_at,
  };
  if (withToken) {
    wire.token = s.token;
    wire.auth_link_url = s.auth_link_url;
  }
  return wire;
}

/** What StackOne checks on POST /connect_sessions; `null` when the body is acceptable. */
function validateSessionBody(body: Record<string, unknown>, providers: Map<string, SandboxProvider>): string | null {
  for (const field of ['origin_owner_id', 'origin_owner_name']) {
    if (typeof body[field] !== 'string' || (body[field]).trim() === '') return `${field} must be a non-empty string`;
  }
  for (const field of ['origin_username', 'provider', 'provider_version', 'account_id', 'label']) {
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== 'string') return `${field} must be a string`;
  }
  if (body.provider !== undefined && body.provider !== null && !providers.has(body.provider as string)) {
    return `Provider ${body.provider as string} is not enabled for this project`;
  }
  if (body.categories !== undefined && body.categories !== null) {
    if (!Array.isArray(body.categories) || body.categories.some((c) => !CATEGORIES.includes(c as string))) {
      return `categories must be an array of: ${CATEGORIES.join(', ')}`;
    }
  }
  if (body.multiple !== undefined && body.multiple !== null && typeof body.multiple !== 'boolean') return 'multiple must be a boolean';
  if (body.metadata !== undefined && body.metadata !== null && (typeof body.metadata !== 'object' || Array.isArray(body.metadata))) return 'metadata must be an object';
  if (body.expires_in !== undefined && body.expires_in !== null && (typeof body.expires_in !== 'number' || body.expires_in <= 0)) return 'expires_in must be a positive number';
  if (body.type !== undefined && body.type !== null && body.type !== 'production' && body.type !== 'test') return 'type must be one of: production, test';
  return null;
}
