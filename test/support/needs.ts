/**
 * A suite that needs something this machine may lack (Redis, a browser). Missing: Jest reports the
 * suite as skipped (describe.skip) and one stderr line says why; never a passing placeholder.
 * When the environment requires it (CI), missing is a failure instead.
 */
export interface Need {
  /** What is missing, e.g. "REDIS_URL is unset". */
  missing: string;
  /** How to provide it, e.g. "run with REDIS_URL=redis://127.0.0.1:6379". */
  fix: string;
  /** The variable that makes a missing dependency a failure, e.g. REQUIRE_REDIS_TEST. */
  requiredBy: string;
}

export function describeIfAvailable(available: boolean, required: boolean, need: Need, name: string, body: () => void): void {
  if (available) {
    describe(name, body);
    return;
  }
  if (required) {
    describe(name, () => {
      it(`cannot run: ${need.missing}`, () => {
        throw new Error(`${need.missing}, and ${need.requiredBy}=1 requires this suite (${need.fix})`);
      });
    });
    return;
  }
  process.stderr.write(`[skipped] "${name}": ${need.missing} (${need.fix})\n`);
  describe.skip(name, body);
}
