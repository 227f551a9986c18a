/** The per-tenant request counters (a ThrottlerStorage), provided by the state layer. */
export const THROTTLER_STORAGE = Symbol('THROTTLER_STORAGE');
