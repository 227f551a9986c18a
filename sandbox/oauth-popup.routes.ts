/**
 * The OAuth popup the hub opens for an oauth2 connector: GET {base}/connect/oauth2/{integration_id}
 * ?redirect_uri=…&token=…&connection_attempt_id=…, here a simulated consent screen. Allow completes
 * the session like any other (upsert.ts) and marks the attempt authenticated with the account; Deny
 * ends it in error (access_denied); an armed `oauth` fault ends the next Allow in error or cancelled.
 * The hub polls GET /hub/connection_attempts/{id} and shows the outcome; redirect_uri (StackOne's
 * dashboard) is not visited: the page closes itself instead, so everything stays offline.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { takeOAuthFault } from './faults';
import { consentDonePage, consentPage, errorPage } from './hosted-page';
import { integrationId, mayConnect } from './hub.routes';
import type { SandboxProvider } from './providers';
import type { ConnectionAttempt, SandboxContext, SandboxSession } from './store';
import { completeSession } from './upsert';

interface Consent {
  session: SandboxSession;
  attempt: ConnectionAttempt;
  provider: SandboxProvider;
}

export function registerOAuthPopupRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { state } = ctx;
  const byIntegration = new Map(ctx.providers.map((p) => [integrationId(p), p]));

  /** The pending consent these parameters name, or why there is none. */
  const consentFor = (integration: string, token: unknown, attemptId: unknown): Consent | string => {
    const session = typeof token === 'string' ? state.sessions.get(token) : undefined;
    if (!session || session.expiresAt <= Date.now()) return 'This connect session is not valid or has expired.';
    const attempt = typeof attemptId === 'string' ? state.connectionAttempts.get(attemptId) : undefined;
    if (!attempt || attempt.token !== session.token) return 'Unknown connection attempt.';
    if (attempt.status !== 'pending') return `This connection attempt has already ended (${attempt.status}).`;
    const provider = byIntegration.get(integration);
    if (!provider || provider.auth !== 'oauth2' || !mayConnect(ctx, session, provider)) return 'This connector is not offered by this connect session.';
    return { session, attempt, provider };
  };

  const html = (reply: FastifyReply): FastifyReply => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');

  app.get('/connect/oauth2/:integrationId', async (request, reply) => {
    const integration = (request.params as { integrationId: string }).integrationId;
    const q = request.query as { token?: unknown; connection_attempt_id?: unknown };
    const consent = consentFor(integration, q.token, q.connection_attempt_id);
    if (typeof consent === 'string') return html(reply).code(410).send(errorPage(consent));
    return html(reply).send(
      consentPage({
        token: consent.session.token,
        attemptId: consent.attempt.id,
        integrationId: integration,
        providerName: consent.provider.name,
        ownerName: consent.session.origin_owner_name,
      }),
    );
  });

  app.post('/connect/oauth2/:integrationId', async (request, reply) => {
    const integration = (request.params as { integrationId: string }).integrationId;
    const form = (request.body ?? {}) as { token?: unknown; connection_attempt_id?: unknown; decision?: unknown };
    const consent = consentFor(integration, form.token, form.connection_attempt_id);
    if (typeof consent === 'string') return html(reply).code(410).send(errorPage(consent));
    const { session, attempt, provider } = consent;
    if (form.decision !== 'allow') {
      attempt.status = 'error';
      attempt.error = { code: 'access_denied', description: `Access to ${provider.name} was denied.` };
      return html(reply).send(consentDonePage('Access denied'));
    }
    const fault = takeOAuthFault(state.faults);
    if (fault) {
      attempt.status = fault.status;
      if (fault.status === 'error') attempt.error = { code: fault.code ?? 'access_denied', description: fault.description ?? `${provider.name} refused the authorization.` };
      return html(reply).send(consentDonePage(fault.status === 'error' ? 'Authorization failed' : 'Authorization cancelled'));
    }
    if (session.completedAccountId) {
      attempt.status = 'error';
      attempt.error = { code: 'session_used', description: 'This connect session has already been used.' };
      return html(reply).code(409).send(consentDonePage('Authorization failed'));
    }
    const result = completeSession(state.accounts, session, provider, { access_token: `at_${randomBytes(16).toString('hex')}` });
    if (typeof result === 'string') {
      attempt.status = 'error';
      attempt.error = { code: 'forbidden', description: result };
      return html(reply).code(403).send(consentDonePage('Authorization failed'));
    }
    attempt.status = 'authenticated';
    attempt.account = { id: result.account.id };
    await ctx.webhooks.emit(result.action === 'created' ? 'account.created' : 'account.updated', result.account);
    return html(reply).send(consentDonePage(`Connected to ${provider.name}`));
  });
}
