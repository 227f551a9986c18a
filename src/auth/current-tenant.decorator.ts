import { createParamDecorator, ExecutionContext, InternalServerErrorException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Tenant } from './tenant';
import './tenant-request';

/** The authenticated tenant. Throws loudly when the AuthGuard did not run (a @Public() route using it is a bug). */
export function tenantFrom(context: ExecutionContext): Tenant {
  const tenant = context.switchToHttp().getRequest<FastifyRequest>().tenant;
  if (!tenant) {
    throw new InternalServerErrorException('No authenticated tenant on this request: the AuthGuard did not run for this route.');
  }
  return tenant;
}

export const CurrentTenant = createParamDecorator((_data: unknown, context: ExecutionContext): Tenant => tenantFrom(context));
