import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { OWNER_FIELDS, OWNER_NOT_IN_QUERY, RequestValidationError } from '../common/request-validation.error';

/**
 * For routes that otherwise ignore their query string (POST /v1/connect-sessions): owner fields
 * there are refused, saying where they were found, rather than silently ignored. A guard, so it
 * runs before the handler, where idempotency replays: a replay never skips it.
 */
@Injectable()
export class OwnerNotInQueryGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query;
    if (query === null || typeof query !== 'object') return true;
    const found = OWNER_FIELDS.filter((field) => Object.prototype.hasOwnProperty.call(query, field));
    if (found.length > 0) throw new RequestValidationError(found.map((field) => ({ field, message: OWNER_NOT_IN_QUERY })), OWNER_NOT_IN_QUERY);
    return true;
  }
}
