import { StackOneApiError, StackOneFailureKind } from './stackone-api.error';

// How StackOneHttpService classifies a failed call: for the breaker, the retry's wait and the transport.

/** 5xx, timeouts and connection failures open the breaker; 4xx (incl. 429) and broken bodies do not. */
export function countsAgainstBreaker(err: unknown): boolean {
  if (!(err instanceof StackOneApiError)) return false;
  if (err.kind === 'http') return (err.status ?? 0) >= 500;
  return err.kind === 'timeout' || err.kind === 'network';
}

/** How long StackOne (or our own budget) asked to wait, in ms; 0 when it did not say. */
export function retryAfterMs(err: StackOneApiError): number {
  return (err.options.retryAfterSeconds ?? 0) * 1000;
}

/** What an exchange that got no usable answer was; undici's errors arrive as they are (axios's CanceledError once the signal fired). */
export function transportFailure(err: unknown, signal: AbortSignal): Extract<StackOneFailureKind, 'timeout' | 'network' | 'invalid-response'> {
  if (signal.aborted) return 'timeout';
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return 'invalid-response';
  // Headers/body timeouts are backstops equal to the deadline. A connect timeout means nothing was
  // sent, so it is a network failure and safe to retry.
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  return 'network';
}
