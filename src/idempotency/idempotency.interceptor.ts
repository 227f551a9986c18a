import { CallHandler, ExecutionContext, Inject, mixin, NestInterceptor, Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { lastValueFrom, Observable, of } from 'rxjs';
import { tenantFrom } from '../auth/current-tenant.decorator';
import { createValidationPipe } from '../common/request-validation.error';
import { IdempotencyService } from './idempotency.service';

export interface IdempotentOptions<T> {
  /**
   * The route's body DTO. Interceptors run before pipes, so the body is validated here first, as
   * the route's pipe will: a bad body is 400 whatever the key's state, and the fingerprint is the
   * validated body.
   */
  body: Type<unknown>;
  /** Caps how long an answer is replayed, in ms from now (e.g. not beyond the session's own expiry). */
  replayForMs?: (value: T) => number;
}

const validation = createValidationPipe();

/**
 * A class per decorated route (Nest's `mixin`), so the options are fixed at decoration time:
 * no metadata look-up per request. Requests without an Idempotency-Key pass straight through.
 */
export function idempotencyInterceptor<T>(options: IdempotentOptions<T>): Type<NestInterceptor> {
  class IdempotencyInterceptor implements NestInterceptor {
    constructor(@Inject(IdempotencyService) private readonly idempotency: IdempotencyService) {}

    async intercept(context: ExecutionContext, next: CallHandler<T>): Promise<Observable<T>> {
      const http = context.switchToHttp();
      const request = http.getRequest<FastifyRequest>();
      const key = request.headers['idempotency-key'];
      if (key === undefined) return next.handle();
      const tenant = tenantFrom(context);
      const body: unknown = await validation.transform(request.body, { type: 'body', metatype: options.body });
      const { value, replayed } = await this.idempotency.run(tenant, String(key), body, () => lastValueFrom(next.handle()), options.replayForMs);
      if (replayed) void http.getResponse<FastifyReply>().header('idempotent-replayed', 'true');
      return of(value);
    }
  }
  return mixin(IdempotencyInterceptor);
}
