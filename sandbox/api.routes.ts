/** StackOne's API as the service calls it: connect sessions, accounts, connectors (Basic auth, checked by the gate). */
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { SandboxContext, SandboxSession } from './store';
import { SANDBOX_PROJECT_ID } from './webhooks';
import { connectorMeta, errorBody, publicAccount, sessionWire, toList, validateSessionBody } from './wire';

/** A string, as StackOne answers since SDK 4.34.0 (a number before). */
const ORGANIZATION_ID = 'org_4242';
const PROJECT_ID = SANDBOX_PROJECT_ID;

export function registerApiRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { state, providers, providerByKey } = ctx;

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
      // integration_id is StackOne's deprecated alias: still honoured, never echoed under that name.
      connector_profile_id: (body.connector_profile_id ?? body.integration_id ?? undefined) as string | undefined,
      categories: body.categories as SandboxSession['categories'],
      account_id: body.account_id as string | undefined,
      label: body.label as string | undefined,
      multiple: body.multiple as boolean | undefined,
      metadata: body.metadata as Record<string, unknown> | undefined,
      type: body.type as 'production' | 'test' | undefined,
      created_at: createdAt.toISOString(),
      token,
      auth_link_url: `${ctx.publicUrl}/connect?token=${encodeURIComponent(token)}`,
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
    const providerKeys = [...toList(q.provider), ...toList(q.providers)];
    const ids = toList(q.account_ids);
    const statuses = toList(q.status);
    const page = Math.max(1, Number(q.page ?? 1) || 1);
    const pageSize = Math.min(100, Math.max(1, Number(q.page_size ?? 25) || 25));
    const all = [...state.accounts.values()].filter(
      (a) =>
        (owners.length === 0 || owners.includes(a.origin_owner_id)) &&
        (providerKeys.length === 0 || providerKeys.includes(a.provider)) &&
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
    await ctx.webhooks.emit('account.updated', account);
    return publicAccount(account);
  });

  app.delete('/accounts/:id', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const account = state.accounts.get(id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    state.accounts.delete(id);
    await ctx.webhooks.emit('account.deleted', account);
    return publicAccount(account);
  });

  // ---- Connectors ------------------------------------------------------------------------------
  app.get('/connectors/meta', async () => providers.map((p) => connectorMeta(p, ctx.publicUrl)));
  app.get('/connectors/meta/:provider', async (request, reply) => {
    const p = providerByKey.get((request.params as { provider: string }).provider);
    if (!p) return reply.code(404).send(errorBody(404, 'Connector not found'));
    return connectorMeta(p, ctx.publicUrl);
  });
}
