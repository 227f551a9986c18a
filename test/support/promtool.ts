import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describeIfAvailable } from './needs';

/**
 * Prometheus' promtool: $PROMTOOL (set by .ci/run, which unpacks Debian's prometheus package without
 * installing it), else `promtool` on PATH. CI sets REQUIRE_PROMTOOL_TEST=1 so a missing one fails.
 */
export const promtoolPath: string | undefined = [process.env.PROMTOOL, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'promtool'))].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && isExecutable(candidate),
);
export const promtoolRequired = process.env.REQUIRE_PROMTOOL_TEST === '1';

export function describeWithPromtool(name: string, body: () => void): void {
  describeIfAvailable(
    promtoolPath !== undefined,
    promtoolRequired,
    {
      missing: 'no promtool (neither $PROMTOOL nor on PATH)',
      fix: 'apt-get download prometheus && dpkg -x prometheus_*.deb /opt/promtool, then PROMTOOL=/opt/promtool/usr/bin/promtool (as .ci/run does)',
      requiredBy: 'REQUIRE_PROMTOOL_TEST',
    },
    name,
    body,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
