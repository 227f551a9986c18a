/** The hosted connect page behind auth_link_url: GET /connect?token=… shows the form, POST /connect completes the session. */
import type { FastifyInstance } from 'fastify';
import { connectedPage, connectPage, errorPage } from './hosted-page';
import type { SandboxContext, SandboxSession } from './store';
import { completeSession } from './upsert';

export function registerHostedPageRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { state, providers, providerByKey } = ctx;

  /** The session behind a token, or why it cannot be used. */
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
    const offered = session.categories?.length ? providers.filter((p) => (session.categories as readonly string[]).includes(p.category)) : providers;
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
    const result = completeSession(state.accounts, session, meta, { username: form.username, api_key: form.api_key });
    if (typeof result === 'string') return reply.code(403).send(errorPage(result));
    await ctx.webhooks.emit(result.action === 'created' ? 'account.created' : 'account.updated', result.account);
    return connectedPage(result.account, result.action);
  });
}
