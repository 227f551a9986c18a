import type { ClsStore } from 'nestjs-cls';

/**
 * Per-request facts gathered along the way for the request's log line: the nestjs-cls store,
 * entered by the request-logging onRequest hook (see request-logging.ts).
 */
export interface RequestContext extends ClsStore {
  /**
   * Sum of the request's StackOne call durations. Calls can overlap (the account-action look-up
   * runs beside the session creation), so this may exceed the request's own latency.
   */
  upstreamMs: number;
  upstreamAttempts: number;
  upstreamCalls: number;
}
