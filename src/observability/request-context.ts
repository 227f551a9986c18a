import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';

/** Per-request facts gathered along the way for the request's log line. */
export interface RequestContext {
  /**
   * The request's StackOne calls as [start, end] (performance.now() ms). Calls can overlap (the
   * account-action look-up runs beside the session creation), so the log line reports the wall time
   * they cover (upstreamWallMs), not their sum.
   */
  upstreamIntervals: Array<[number, number]>;
  upstreamAttempts: number;
  upstreamCalls: number;
}

/** Milliseconds covered by at least one of the intervals: two overlapping 100 ms calls are ~100 ms, not 200. */
export function upstreamWallMs(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const [s, e] of sorted) {
    if (s > end) {
      if (end > start) total += end - start;
      start = s;
      end = e;
    } else if (e > end) {
      end = e;
    }
  }
  if (end > start) total += end - start;
  return total;
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
    this.storage.run({ upstreamIntervals: [], upstreamAttempts: 0, upstreamCalls: 0 }, next);
  }

  /** The current request's context; undefined outside a request. */
  current(): RequestContext | undefined {
    return this.storage.getStore();
  }
}
