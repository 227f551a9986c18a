/**
 * The control API for tests and the demo, under /__sandbox/ and without auth: faults, what was
 * received, raw state, reset, health, the connectors' logos. Plus /favicon.ico, so a browser on the
 * hosted page logs no error.
 */
import type { FastifyInstance } from 'fastify';
import { armFault } from './faults';
import { logoPng, solidPng } from './logos';
import { resetState, SandboxContext } from './store';
import { errorBody } from './wire';

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
  app.post('/__sandbox/reset', async (_request, reply) => {
    resetState(state);
    return reply.code(204).send();
  });
}
