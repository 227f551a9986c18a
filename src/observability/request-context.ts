import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts gathered along the way for the request's log line. */
export interface RequestContext {
  /**
   * Sum of the request's StackOne call durations. Calls can overlap (the account-action look-up
   * runs beside the session creation), so this may exceed the request's own latency.
   */
  upstreamMs: number;
  upstreamAttempts: number;
  upstreamCalls: number;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
