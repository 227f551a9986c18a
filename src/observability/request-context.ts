import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts gathered along the way for the request's log line. */
export interface RequestContext {
  upstreamMs: number;
  upstreamAttempts: number;
  upstreamCalls: number;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();
