import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';

/**
 * Per-tenant limit (RATE_LIMIT_PER_TENANT a minute across all endpoints), keyed by the authenticated
 * tenant, never the client IP: tenant A exhausting its budget does not throttle tenant B, and
 * X-Forwarded-For games change nothing. Runs after the global AuthGuard (it is a controller guard).
 */
@Injectable()
export class TenantThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const tenant = (req as unknown as FastifyRequest).tenant;
    return Promise.resolve(tenant ? `tenant:${tenant.id}` : `ip:${String(req.ip)}`);
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${tracker}`;
  }
}
