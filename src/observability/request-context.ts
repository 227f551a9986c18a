import { Injectable } from '@nestjs/common';
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

/**
 * The current request's context, entered by the request-logging onRequest hook and read by
 * whatever enriches the log line. (nestjs-cls 7 fits Nest 12, but its ClsModule.forRoot registers
 * a global no-op APP_GUARD and APP_INTERCEPTOR even when nothing is mounted, which puts every route
 * through Nest's interceptor pipeline: +CPU per request for what is one AsyncLocalStorage.)
 */
@Injectable()
export class RequestContextStore {
  private readonly storage = new AsyncLocalStorage<RequestContext>();

  /** Runs `next` (the rest of the request) inside a fresh context. */
  enter(next: () => void): void {
    this.storage.run({ upstreamMs: 0, upstreamAttempts: 0, upstreamCalls: 0 }, next);
  }

  /** The current request's context; undefined outside a request. */
  current(): RequestContext | undefined {
    return this.storage.getStore();
  }
}
