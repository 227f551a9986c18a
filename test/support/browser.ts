import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium } from 'playwright-core';
import { describeIfAvailable } from './needs';

/** Debian's chromium (never a downloaded browser). CI sets REQUIRE_BROWSER_TEST=1 so a missing one fails. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const browserAvailable = existsSync(chromiumPath);
export const browserRequired = process.env.REQUIRE_BROWSER_TEST === '1';

export function describeWithBrowser(name: string, body: () => void): void {
  describeIfAvailable(
    browserAvailable,
    browserRequired,
    { missing: `no Chromium at ${chromiumPath}`, fix: 'apt-get install -y chromium, or set CHROMIUM_PATH', requiredBy: 'REQUIRE_BROWSER_TEST' },
    name,
    body,
  );
}

export interface LaunchedBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * `hostResolverRules` (e.g. `MAP docs.test 127.0.0.1`) lets a test reach a loopback server by a name
 * that is not localhost, as a user on the network would, without leaving the machine.
 */
export async function launchChromium(options: { hostResolverRules?: string } = {}): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'scs-chromium-'));
  // A fresh profile each run; Playwright takes it as launchPersistentContext's first argument.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      ...(options.hostResolverRules ? [`--host-resolver-rules=${options.hostResolverRules}`] : []),
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
