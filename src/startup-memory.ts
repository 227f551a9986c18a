/**
 * Gives back, once, the memory the start-up used and no longer needs: at the first idle second after
 * `listen`.
 *
 * Start-up (~2,000 modules, Nest's wiring) grows V8's young generation to its 16 MB semi-spaces and
 * V8 keeps them committed at idle: its memory reducer judges the allocation rate by the last
 * collection, which is start-up's, and waits forever. One memory-reducing collection (V8's "last
 * resort") shrinks the young generation to 1 MB and compacts the old one: idle RSS ~166 -> ~125 MB
 * for a ~100 ms pause. Under load the young generation regrows within seconds. start:prod's
 * `--no-memory-reducer` keeps V8 from shrinking it again in every later idle gap (each burst after
 * one then paid to regrow it: 1.2-1.3x CPU per request in bench:ab). Measurements and what was
 * tried: bench/README.md, "Start-up and idle memory".
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

/** One memory-reducing full collection; false (nothing done) where V8 does not offer it. */
export function releaseStartupMemory(): boolean {
  let gc: GcFunction | undefined;
  try {
    // V8's gc() without `--expose-gc` on the command line: exposed to a throw-away context only.
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as GcFunction | undefined;
  } catch {
    return false;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (typeof gc !== 'function') return false;
  // Keep the bytecode (a last-resort collection would flush all of it): it costs no measurable RSS
  // and the first requests would otherwise compile again what start-up and they share.
  setFlagsFromString('--no-flush-bytecode');
  try {
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    setFlagsFromString('--flush-bytecode');
  }
  return true;
}

/**
 * Checks every `periodMs` and collects in the first period the event loop was busy less than
 * `maxUtilization` of the time, so a replica taking traffic at once is not paused under it.
 * The timer never keeps the process alive.
 */
export function releaseStartupMemoryWhenIdle({ periodMs = 1000, maxUtilization = 0.25, release = releaseStartupMemory } = {}): void {
  let since = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, since).utilization;
    since = now;
    if (busy > maxUtilization) return;
    clearInterval(timer);
    release();
  }, periodMs);
  timer.unref();
}
