/**
 * The control API for tests and the demo, under /__sandbox/ and without auth: faults, what was
 * received, raw state, reset, health, the connectors' logos, account statuses and provider outages
 * (account-status.ts). Plus /favicon.ico, so a browser on the hosted page logs no error.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { announce, applyStatus, endOutage, parseStatusChange, startOutage, StatusChange } from './account-status';
import { armFault, ProviderOutage } from './faults';
import { logoPng, solidPng } from './logos';
import { resetState, SandboxContext } from './store';
import { errorBody, publicAccount } from './wire';

const ONE_DAY = 'public, max-age=86400';

export function registerControlRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const { state } = ctx;

  app.get('/__sandbox/health', async () => ({ status: 'ok' }));
  app.get('/__sandbox/requests', async () => state.requests);
  app.get('/__sandbox/accounts', async () => [...state.accounts.values()]);
  app.get('/__sandbox/webhooks', async () => state.webhooks);

  const logos = new Map(ctx.providers.map((p) => [`${p.key}.png`, logoPng(p.key)]));
  app.get('/__sandbox/logos/:file', async (request, reply) => {
    const png = logos.get((request.params as { file: string }).file);
    if (!png) return reply.code(404).send(errorBody(404, 'No such logo'));
    return reply.type('image/png').header('cache-control', ONE_DAY).send(png);
  });
  const favicon = solidPng([47, 91, 234], 16);
  app.get('/favicon.ico', async (_request, reply) => reply.type('image/png').header('cache-control', ONE_DAY).send(favicon));

  app.post('/__sandbox/faults', async (request, reply) => {
    armFault(state.faults, request.body ?? {});
    return reply.code(204).send();
  });
  // ---- Account status, as StackOne changes it (account-status.ts) ----------------------------------
  // `webhook` in the answers: whether account.updated was sent (asked for, and a webhook URL configured).
  const setStatus = async (id: string, change: StatusChange | string, reply: FastifyReply): Promise<FastifyReply> => {
    if (typeof change === 'string') return reply.code(400).send(errorBody(400, change));
    const account = state.accounts.get(id);
    if (!account) return reply.code(404).send(errorBody(404, 'Account not found'));
    const changed = applyStatus(account, change.status, change.reasons);
    if (changed) await announce(ctx, [account], change.webhook);
    return reply.send({ changed, webhook: changed && change.webhook && ctx.webhooks.configured, account: publicAccount(account) });
  };
  app.post('/__sandbox/accounts/:id/status', async (request, reply) =>
    setStatus((request.params as { id: string }).id, parseStatusChange(request.body), reply),
  );
  app.delete('/__sandbox/accounts/:id/status', async (request, reply) =>
    setStatus((request.params as { id: string }).id, parseStatusChange(request.body, { fixed: 'active' }), reply),
  );

  // ---- Provider outage: every account of one provider broken at once ------------------------------
  app.post('/__sandbox/faults/provider-outage', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const provider = typeof body.provider === 'string' ? ctx.providerByKey.get(body.provider) : undefined;
    if (!provider) return reply.code(400).send(errorBody(400, `provider must be one of this sandbox's providers: ${ctx.providers.map((p) => p.key).join(', ')}`));
    if (state.outages.has(provider.key)) return reply.code(409).send(errorBody(409, `${provider.name} already has an outage; end it first (DELETE /__sandbox/faults/provider-outage/${provider.key})`));
    const withDefaults = { reasons: [{ code: 'provider_unavailable', description: `${provider.name} is not answering (sandbox provider outage)` }], ...body };
    const change = parseStatusChange(withDefaults, { fallbackStatus: 'error', extraKeys: ['provider'] });
    if (typeof change === 'string') return reply.code(400).send(errorBody(400, change));
    const { outage, changed } = startOutage(ctx, provider.key, change);
    await announce(ctx, changed, change.webhook);
    return reply.code(201).send({ ...outageWire(outage), webhook: change.webhook && ctx.webhooks.configured, accountIds: changed.map((a) => a.id) });
  });
  app.get('/__sandbox/faults/provider-outage', async () => [...state.outages.values()].map(outageWire));
  app.delete('/__sandbox/faults/provider-outage/:provider', async (request, reply) => {
    const outage = state.outages.get((request.params as { provider: string }).provider);
    if (!outage) return reply.code(404).send(errorBody(404, 'No outage of that provider'));
    const change = parseStatusChange(request.body, { fixed: 'active' });
    if (typeof change === 'string') return reply.code(400).send(errorBody(400, change));
    const restored = endOutage(ctx, outage);
    await announce(ctx, restored, change.webhook);
    return reply.send({ ...outageWire(outage), webhook: change.webhook && ctx.webhooks.configured, accountIds: restored.map((a) => a.id) });
  });

  app.post('/__sandbox/reset', async (_request, reply) => {
    resetState(state);
    return reply.code(204).send();
  });
}

function outageWire(o: ProviderOutage): Record<string, unknown> {
  return { provider: o.provider, status: o.status, reasons: o.reasons, startedAt: o.startedAt };
}
