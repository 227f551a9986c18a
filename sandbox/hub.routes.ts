/**
 * The API StackOne's embeddable hub (@stackone/hub, <stackone-hub token base-url>) calls from the
 * browser, as its 1.11.4 bundle calls it: header x-hub-session-token (the connect session's token),
 * x-hub-version, Content-Type: application/json on every call, all of them CORS-preflighted.
 *
 *   GET  /hub/settings                      existing_account_id of a re-link session (opens the edit flow)
 *   GET  /hub/connectors[?provider=]        the session's integrations (one when it names a provider: the hub auto-selects it)
 *   GET  /hub/connectors/{integration_id}   that connector's form: { config: { name, type, configFields, assets } }
 *   POST /hub/accounts                      { integration_id, credentials }: completes the session (upsert.ts rules)
 *   GET  /hub/accounts/{id}                 the account to edit, secrets redacted, never sent
 *   PATCH /hub/accounts/{id}                { integration_id, credentials }: unchanged secrets are left out by the hub
 *   POST /hub/connection_attempts, GET|DELETE /hub/connection_attempts/{id}   OAuth (popup: oauth-popup.routes.ts)
 *
 * Refusals carry StackOne's error body. The bundle turns any 401/403 into "no data" without showing
 * an error (an unknown token lists no integrations; a refused PATCH even reads as success), so what
 * is refused here must be exactly what StackOne refuses, and tests check the sandbox's state.
 */
import cors from '@fastify/cors';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { SandboxProvider } from './providers';
import type { ConnectionAttempt, SandboxAccount, SandboxContext, SandboxSession } from './store';
import { completeSession } from './upsert';
import { errorBody } from './wire';

export const HUB_TOKEN_HEADER = 'x-hub-session-token';

/** What the hub shows masked (••••) and leaves out of a PATCH while unchanged; StackOne's placeholder format. */
export const REDACTED_SECRET = '__secretvalue:**redacted**';
const isRedacted = (value: unknown): boolean => typeof value === 'string' && value.startsWith(REDACTED_SECRET);

/** A connector's id in the hub's URLs (StackOne's integration_id), distinct from the provider key on purpose. */
export const integrationId = (provider: SandboxProvider): string => `int-${provider.key}`;

export interface HubConfigField {
  key: string;
  label: string;
  type: 'text' | 'password';
  required: boolean;
  secret: boolean;
  readOnly: boolean;
  placeholder: string;
}

/** The form of a credentials connector. `secret: false` must be explicit: the hub treats a missing flag as secret. */
export function configFields(provider: SandboxProvider): HubConfigField[] {
  if (provider.auth === 'oauth2') return [];
  return [
    { key: 'username', label: 'Username', type: 'text', required: true, secret: false, readOnly: false, placeholder: 'jane.admin' },
    { key: 'api_key', label: 'API key', type: 'password', required: true, secret: true, readOnly: false, placeholder: `Your ${provider.name} API key` },
  ];
}

/** How long a browser may cache the preflight answer. */
const PREFLIGHT_MAX_AGE_S = 600;

type Session = SandboxSession;

export async function registerHubRoutes(app: FastifyInstance, ctx: SandboxContext): Promise<void> {
  await app.register(
    async (hub) => {
      // Any origin: the hub runs on the customer's product page, wherever that is.
      await hub.register(cors, {
        origin: true,
        methods: ['GET', 'POST', 'PATCH', 'DELETE'],
        allowedHeaders: [HUB_TOKEN_HEADER, 'x-hub-version', 'content-type'],
        maxAge: PREFLIGHT_MAX_AGE_S,
      });
      routes(hub, ctx);
      // Inside the plugin, so an unknown /hub/ path still carries the CORS headers and the browser sees the 404.
      hub.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url.split('?', 1)[0]}`)));
    },
    { prefix: '/hub' },
  );
}

function routes(hub: FastifyInstance, ctx: SandboxContext): void {
  const { state, providers, providerByKey } = ctx;
  const byIntegration = new Map(providers.map((p) => [integrationId(p), p]));
  const logoUrl = (p: SandboxProvider): string => `${ctx.publicUrl}/__sandbox/logos/${p.key}.png`;

  /**
   * The live session behind the header, or the 401 StackOne answers for an unknown or expired token.
   * `pastExpiry`: an expired session may still read its connection attempts (they read expired).
   */
  const sessionOf = (request: FastifyRequest, reply: FastifyReply, pastExpiry = false): Session | undefined => {
    const token = request.headers[HUB_TOKEN_HEADER];
    const session = typeof token === 'string' ? state.sessions.get(token) : undefined;
    if (!session || (!pastExpiry && session.expiresAt <= Date.now())) {
      void reply.code(401).send(errorBody(401, 'Invalid or expired connect session token'));
      return undefined;
    }
    return session;
  };

  /** The account a re-link session or the hub's account-id may touch: 404 unknown, 403 another owner's or not the session's. */
  const editable = (session: Session, id: string, reply: FastifyReply): SandboxAccount | undefined => {
    const account = state.accounts.get(id);
    if (!account) {
      void reply.code(404).send(errorBody(404, 'Account not found'));
      return undefined;
    }
    if (account.origin_owner_id !== session.origin_owner_id || (session.account_id && session.account_id !== id)) {
      void reply.code(403).send(errorBody(403, 'This connect session cannot access this account'));
      return undefined;
    }
    return account;
  };

  hub.get('/settings', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    return { enabled_features: [], ...(session.account_id ? { existing_account_id: session.account_id } : {}) };
  });

  hub.get('/connectors', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const only = (request.query as { provider?: unknown }).provider;
    const list = providers.filter((p) => mayConnect(ctx, session, p)).filter((p) => typeof only !== 'string' || only === '' || p.key === only);
    return {
      integrations: list.map((p) => ({
        integration_id: integrationId(p),
        provider: p.key,
        name: p.name,
        // The hub splits `type` for its category chips; without it the whole component crashes.
        type: p.category,
        active: true,
        version: '1',
        authentication_config_key: p.auth === 'oauth2' ? 'oauth2' : 'custom',
        environment: 'production',
        logo_url: logoUrl(p),
      })),
    };
  });

  hub.get('/connectors/:integrationId', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const provider = byIntegration.get((request.params as { integrationId: string }).integrationId);
    // A connector the session does not offer is as unknown as one that does not exist.
    if (!provider || !mayConnect(ctx, session, provider)) {
      return reply.code(404).send(errorBody(404, 'Connector not found'));
    }
    return {
      config: {
        key: provider.key,
        name: provider.name,
        type: provider.auth ?? 'custom',
        configFields: configFields(provider),
        configNotices: [],
        support: { description: `Sandbox ${provider.name}: any ${provider.auth === 'oauth2' ? 'consent' : 'username and API key'} works.` },
        assets: { icon: logoUrl(provider) },
      },
      hub_settings: { configured_webhook_events: {}, project_settings: {} },
    };
  });

  hub.get('/accounts/:id', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const account = editable(session, (request.params as { id: string }).id, reply);
    if (!account) return reply;
    const provider = providerByKey.get(account.provider);
    const fields = provider ? configFields(provider) : [];
    // Non-secret fields come back as entered; secrets only as the placeholder: never sent to a browser.
    const setupInformation = Object.fromEntries(fields.filter((f) => !f.secret && typeof account.credentials[f.key] === 'string').map((f) => [f.key, account.credentials[f.key]]));
    const secrets = Object.fromEntries(fields.filter((f) => f.secret && account.credentials[f.key] !== undefined).map((f) => [f.key, REDACTED_SECRET]));
    return {
      id: account.id,
      account_id: account.id,
      provider: account.provider,
      integrationId: provider ? integrationId(provider) : undefined,
      version: '1',
      setupInformation,
      secrets,
    };
  });

  /** The body of POST/PATCH /hub/accounts: the connector and the non-empty, non-placeholder credentials. */
  const parseConnect = (request: FastifyRequest, reply: FastifyReply): { provider: SandboxProvider; credentials: Record<string, string> } | undefined => {
    const body = (request.body ?? {}) as { integration_id?: unknown; credentials?: unknown };
    const provider = typeof body.integration_id === 'string' ? byIntegration.get(body.integration_id) : undefined;
    if (!provider) {
      void reply.code(400).send(errorBody(400, 'integration_id must be the id of one of the offered connectors'));
      return undefined;
    }
    const raw = body.credentials ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
      void reply.code(400).send(errorBody(400, 'credentials must be an object of strings'));
      return undefined;
    }
    // A placeholder sent back is "unchanged", never a new secret.
    const credentials = Object.fromEntries(Object.entries(raw as Record<string, string>).filter(([, v]) => v !== '' && !isRedacted(v)));
    return { provider, credentials };
  };

  const missing = (provider: SandboxProvider, credentials: Record<string, unknown>): string | undefined =>
    configFields(provider).find((f) => f.required && (typeof credentials[f.key] !== 'string' || credentials[f.key] === ''))?.label;

  const alreadyUsed = (session: Session, reply: FastifyReply): boolean => {
    if (!session.completedAccountId) return false;
    void reply.code(409).send(errorBody(409, 'This connect session has already been used'));
    return true;
  };

  hub.post('/accounts', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const input = parseConnect(request, reply);
    if (!input || alreadyUsed(session, reply)) return reply;
    const { provider, credentials } = input;
    if (!mayConnect(ctx, session, provider)) {
      return reply.code(400).send(errorBody(400, `${provider.name} is not offered by this connect session`));
    }
    if (provider.auth === 'oauth2') return reply.code(400).send(errorBody(400, `${provider.name} connects through OAuth, not credentials`));
    const gap = missing(provider, credentials);
    if (gap) return reply.code(400).send(errorBody(400, `${gap} is required`));
    const result = completeSession(state.accounts, session, provider, credentials);
    if (typeof result === 'string') return reply.code(403).send(errorBody(403, result));
    await ctx.webhooks.emit(result.action === 'created' ? 'account.created' : 'account.updated', result.account);
    return reply.code(201).send(hubAccount(result.account));
  });

  hub.patch('/accounts/:id', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const id = (request.params as { id: string }).id;
    const account = editable(session, id, reply);
    if (!account) return reply;
    const input = parseConnect(request, reply);
    if (!input || alreadyUsed(session, reply)) return reply;
    const { provider, credentials } = input;
    if (provider.key !== account.provider) return reply.code(400).send(errorBody(400, `Account ${id} is a ${account.provider_name} account`));
    const gap = missing(provider, { ...account.credentials, ...credentials });
    if (gap) return reply.code(400).send(errorBody(400, `${gap} is required`));
    // Updating a given account is the account_id rule of upsert.ts (owner checked there too).
    const result = completeSession(state.accounts, { ...session, account_id: id }, provider, credentials);
    if (typeof result === 'string') return reply.code(403).send(errorBody(403, result));
    session.completedAccountId = result.account.id;
    await ctx.webhooks.emit('account.updated', result.account);
    return hubAccount(result.account);
  });

  // ---- OAuth: the hub creates an attempt, opens the popup (oauth-popup.routes.ts), polls every 2 s ----
  hub.post('/connection_attempts', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session || alreadyUsed(session, reply)) return reply;
    const attempt: ConnectionAttempt = { id: randomUUID(), token: session.token, status: 'pending', created_at: new Date().toISOString() };
    state.connectionAttempts.set(attempt.id, attempt);
    return reply.code(201).send(attemptWire(attempt, session));
  });

  /** The session's own attempt (another session's is unknown), with an expired session's pending one reading expired. */
  const attemptOf = (session: Session, request: FastifyRequest, reply: FastifyReply): ConnectionAttempt | undefined => {
    const attempt = state.connectionAttempts.get((request.params as { id: string }).id);
    if (!attempt || attempt.token !== session.token) {
      void reply.code(404).send(errorBody(404, 'Connection attempt not found'));
      return undefined;
    }
    return attempt;
  };

  hub.get('/connection_attempts/:id', async (request, reply) => {
    const session = sessionOf(request, reply, true);
    if (!session) return reply;
    const attempt = attemptOf(session, request, reply);
    return attempt ? attemptWire(attempt, session) : reply;
  });

  hub.delete('/connection_attempts/:id', async (request, reply) => {
    const session = sessionOf(request, reply);
    if (!session) return reply;
    const attempt = attemptOf(session, request, reply);
    if (!attempt) return reply;
    if (attempt.status === 'pending') attempt.status = 'cancelled';
    return attemptWire(attempt, session);
  });
}

/** What a session offers: its one provider, else its categories' providers, else all. */
export function offeredProviders(ctx: SandboxContext, session: SandboxSession): SandboxProvider[] {
  if (session.provider) return ctx.providers.filter((p) => p.key === session.provider);
  const categories: readonly string[] | null | undefined = session.categories;
  return categories?.length ? ctx.providers.filter((p) => categories.includes(p.category)) : ctx.providers;
}

/** Whether the session may connect `provider`: offered, or the provider of the account a re-link session edits. */
export function mayConnect(ctx: SandboxContext, session: SandboxSession, provider: SandboxProvider): boolean {
  if (offeredProviders(ctx, session).includes(provider)) return true;
  return !!session.account_id && ctx.state.accounts.get(session.account_id)?.provider === provider.key;
}

/** What the hub reads of a connected account (`id`); credentials never leave the sandbox this way. */
function hubAccount(a: SandboxAccount): Record<string, unknown> {
  return { id: a.id, provider: a.provider, provider_name: a.provider_name, status: a.status, origin_owner_id: a.origin_owner_id, label: a.label, created_at: a.created_at, updated_at: a.updated_at };
}

function attemptWire(attempt: ConnectionAttempt, session: SandboxSession): Record<string, unknown> {
  const status = attempt.status === 'pending' && session.expiresAt <= Date.now() ? 'expired' : attempt.status;
  return { id: attempt.id, status, ...(attempt.account ? { account: attempt.account } : {}), ...(attempt.error ? { error: attempt.error } : {}), created_at: attempt.created_at };
}
