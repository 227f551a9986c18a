import type { Tenant } from './tenant';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by AuthGuard; read it through @CurrentTenant(). */
    tenant?: Tenant;
  }
}
