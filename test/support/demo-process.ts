import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { freePort, stopChild } from './processes';

export interface DemoProcess {
  base: string;
  sandboxUrl: string;
  acmeToken: string;
  globexToken: string;
  curlLine: string;
  output: () => string;
  stop: () => Promise<void>;
}

const demoScript = join(__dirname, '..', '..', 'dist-demo', 'demo', 'main.js');

/** Runs the built demo (dist-demo/demo/main.js) on free ports (or the ports `env` names) and reads what it prints. */
export async function startDemo(timeoutMs = 20_000, env?: Record<string, string>): Promise<DemoProcess> {
  const ports = env ?? { DEMO_PORT: String(await freePort()), SANDBOX_PORT: String(await freePort()) };
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [demoScript], {
    env: { PATH: process.env.PATH ?? '', ...ports },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = (): Promise<void> => stopChild(child);
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Ctrl+C stops both')) {
    if (child.exitCode !== null) throw new Error(`demo exited (${child.exitCode}):\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`demo did not start within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tokenAfter = (label: string): string => {
    const lines = output.split('\n');
    const i = lines.findIndex((l) => l.includes(label));
    return lines[i + 1].trim();
  };
  return {
    base: /Swagger UI\s+(http:\/\/\S+)\/docs/.exec(output)?.[1] ?? '',
    sandboxUrl: /StackOne sandbox\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '',
    acmeToken: tokenAfter('Acme Inc (org_acme) token'),
    globexToken: tokenAfter('Globex Corp (org_globex) token'),
    curlLine: output.split('\n').find((l) => l.includes('curl -sS -X POST'))?.trim() ?? '',
    output: () => output,
    stop,
  };
}

/** Runs the demo expecting it to stop on its own (a start-up refusal); returns its exit code and output. */
export async function runDemoUntilExit(env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  let output = '';
  const child = spawn(process.execPath, [demoScript], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const timer = setTimeout(() => void stopChild(child), timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output };
}
