/**
 * A start-up refusal the operator can fix (Redis required but unreachable, the metrics port taken):
 * main.ts prints its message alone, no stack, and exits 1. The message must carry no secret.
 */
export class StartupError extends Error {
  override readonly name: string = 'StartupError';
}
