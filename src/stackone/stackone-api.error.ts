/**
 * The one error every StackOne failure becomes. It carries no request, header or body from the
 * upstream call, so it is safe to log as is.
 */
export type StackOneFailureKind =
  | 'http' // StackOne answered with a non-2xx status
  | 'timeout' // the total deadline ran out
  | 'network' // connection refused/reset/DNS, no usable answer
  | 'invalid-response' // 2xx with a body that is not what the contract says, a redirect, or too large
  | 'circuit-open' // the breaker is open: StackOne was not called
  | 'rate-limited' // the fleet's outbound budget refused: StackOne was not called
  | 'tenant-rate-limited'; // the tenant's share of the outbound budget refused: StackOne was not called

export class StackOneApiError extends Error {
  override readonly name = 'StackOneApiError';

  constructor(
    readonly kind: StackOneFailureKind,
    readonly operation: string,
    readonly options: {
      /** StackOne's HTTP status, for kind 'http'. */
      status?: number;
      /** StackOne's own message (from its error body's `message`), trimmed and bounded. */
      upstreamMessage?: string;
      /** Seconds the caller should wait, from StackOne's Retry-After or our breaker/limiter. */
      retryAfterSeconds?: number;
      /** StackOne's request id header, when present, to correlate with their support. */
      upstreamRequestId?: string;
      /** Attempts made (1 = no retry). */
      attempts?: number;
    } = {},
  ) {
    super(
      `StackOne ${operation} failed: ${kind}${options.status !== undefined ? ` ${options.status}` : ''}`,
    );
  }

  get status(): number | undefined {
    return this.options.status;
  }
}
