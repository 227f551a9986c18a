import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { idempotencyInterceptor, IdempotentOptions } from './idempotency.interceptor';

/**
 * Retry-safe creation with the Idempotency-Key header (see IdempotencyService): a retry with the
 * same key and body replays the first answer with `Idempotent-Replayed: true`; another body under
 * the key is 422, a malformed key 400, a duplicate still running past the wait is 409, and 503 while the store is
 * unreachable. The route's module must import IdempotencyModule.
 */
export function Idempotent<T>(options: IdempotentOptions<T>): MethodDecorator {
  return applyDecorators(
    UseInterceptors(idempotencyInterceptor(options)),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'Retry-safe creation: the same key and body within the TTL replays the first answer (Idempotent-Replayed: true) without calling StackOne again; another body under the same key gets 422. 1-255 visible ASCII characters; anything else gets 400.',
    }),
  );
}
