import { randomUUID } from 'node:crypto';

/** One id per `jest` run: every spec's Redis keys live under `test:<id>:` (test/support/redis.ts). */
export default function globalSetup(): void {
  process.env.SCS_TEST_RUN_ID ??= randomUUID();
}
