import { join } from 'node:path';
import { freePort, launchNode, stopChild } from './processes';

export interface DemoProcess {
  /** The example product page (printed first). */
  pageUrl: string;
  base: string;
  sandboxUrl: string;
  acmeToken: string;
  globexToken: string;
  /** The banner's `export TOKEN=…` line (Acme's token), which the curl lines use. */
  exportLine: string;
  curlLine: string;
  /** The banner's two lines that break an account: ACCOUNT_ID=$(…first account…) and the sandbox's status curl. */
  breakLines: string[];
  /** The banner's `?health=broken` curl line. */
  brokenListLine: string;
  output: () => string;
  stop: () => Promise<void>;
}

const demoScript = join(__dirname, '..', '..', 'dist-demo', 'demo', 'main.js');

/** Runs the built demo (dist-demo/demo/main.js) on free ports (or the ports `env` names) and reads what it prints. */
export async function startDemo(timeoutMs = 20_000, env?: Record<string, string>): Promise<DemoProcess> {
  const ports = env ?? { DEMO_PORT: String(await freePort()), SANDBOX_PORT: String(await freePort()), DEMO_PAGE_PORT: String(await freePort()) };
  const demo = await launchNode([demoScript], { env: ports, readyOutput: /Ctrl\+C stops everything/, timeoutMs });
  const output = demo.output();
  const exported = (name: string): string => new RegExp(`^\\s*export ${name}=(\\S+)$`, 'm').exec(output)?.[1] ?? '';
  return {
    pageUrl: /Example product page\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '',
    base: /Swagger UI\s+(http:\/\/\S+)\/docs/.exec(output)?.[1] ?? '',
    sandboxUrl: /StackOne sandbox\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '',
    acmeToken: exported('TOKEN'),
    globexToken: exported('GLOBEX_TOKEN'),
    exportLine: output.split('\n').find((l) => l.trim().startsWith('export TOKEN='))?.trim() ?? '',
    curlLine: output.split('\n').find((l) => l.includes('curl -sS -X POST'))?.trim() ?? '',
    breakLines: output
      .split('\n')
      .filter((l) => l.trim().startsWith('ACCOUNT_ID=$(') || l.includes('/__sandbox/accounts/$ACCOUNT_ID/status'))
      .map((l) => l.trim()),
    brokenListLine: /Then the broken ones:\s+(curl .+)$/m.exec(output)?.[1] ?? '',
    output: demo.output,
    stop: demo.stop,
  };
}

/** Runs the demo expecting it to stop on its own (a start-up refusal); returns its exit code and output. */
export async function runDemoUntilExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  const demo = await launchNode([demoScript], { env });
  const timer = setTimeout(() => void stopChild(demo.child), timeoutMs);
  const code = await demo.closed;
  clearTimeout(timer);
  return { code, output: demo.output() };
}
