import { applyDecorators, createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a retry-safe route needs of its request: the Idempotency-Key as sent, and a way to mark a replay. */
export interface IdempotencyHeaders {
  /** The Idempotency-Key header, undefined when absent (checked by IdempotencyService.respond). */
  readonly key: string | undefined;
  /** Sets `Idempotent-Replayed: true` on the answer. */
  markReplayed(): void;
}

/**
 * The request's Idempotency-Key for `IdempotencyService.respond`, in the handler: after the guards
 * and the validation pipe, so a replay never skips them and the fingerprint is the validated body.
 * (A handler parameter rather than an interceptor: an interceptor puts every request, keyed or
 * not, through Nest's Observable chain, about a tenth of a connect session's CPU.)
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): IdempotencyHeaders => {
  const http = context.switchToHttp();
  const key = http.getRequest<FastifyRequest>().headers['idempotency-key'];
  if (key === undefined) return NO_KEY;
  return { key: String(key), markReplayed: (): void => void http.getResponse<FastifyReply>().header('idempotent-replayed', 'true') };
});

/** Most requests carry no key: one shared value, nothing built for them. */
const NO_KEY: IdempotencyHeaders = Object.freeze({ key: undefined, markReplayed: (): void => undefined });

/**
 * Documents retry-safe creation with the Idempotency-Key header on a route whose handler answers
 * through `IdempotencyService.respond` (see IdempotencyService): a retry with the same key and body
 * replays the first answer with `Idempotent-Replayed: true`; another body under the key is 422, a
 * malformed key 400, a duplicate still running past the wait is 409, and 503 while the store is
 * unreachable. The route's module must import IdempotencyModule.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Retry-safe creation: the same key and body within the TTL replays the first answer (Idempotent-Replayed: true) without calling StackOne again; another body under the same key gets 422. 1-255 visible ASCII characters; anything else gets 400.',
    }),
  );
}
