/** Hooks for metrics and logs around StackOne calls; the default is to observe nothing. */
export const STACKONE_OBSERVER = Symbol('STACKONE_OBSERVER');

export type AttemptOutcome = 'ok' | 'http-error' | 'timeout' | 'network' | 'invalid-response';

export interface StackOneObserver {
  onAttempt?(e: { operation: string; attempt: number; status?: number; outcome: AttemptOutcome; durationMs: number }): void;
  onRetry?(e: { operation: string; attempt: number; delayMs: number; reason: string }): void;
  onBreakerStateChange?(state: 'closed' | 'open' | 'half-open'): void;
  onCallComplete?(e: { operation: string; outcome: string; attempts: number; durationMs: number; status?: number }): void;
}
