import { ChildProcess, spawn } from 'node:child_process';
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

/** Runs the built demo (dist/demo.js) on free ports and reads what it prints. */
export async function startDemo(timeoutMs = 20_000): Promise<DemoProcess> {
  const [servicePort, sandboxPort] = [await freePort(), await freePort()];
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'demo.js')], {
    env: { PATH: process.env.PATH ?? '', DEMO_PORT: String(servicePort), SANDBOX_PORT: String(sandboxPort) },
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
