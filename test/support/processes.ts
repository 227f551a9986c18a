// The one process launcher, for the specs and for bench/ (which loads this file with Node's type
// stripping: keep it free of TS-only runtime syntax and of relative imports, and use `import type`).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** What happens to a child's stdout or stderr: kept for `output()`, passed through, or dropped. */
export type StreamMode = 'capture' | 'inherit' | 'ignore';

export interface LaunchOptions {
  /** The child's whole environment besides PATH: it never inherits the caller's. */
  env?: Record<string, string>;
  /** Default: the current directory (the project root under npm scripts and Jest). */
  cwd?: string;
  stdout?: StreamMode;
  stderr?: StreamMode;
  /** Ready once the captured output matches this… */
  readyOutput?: RegExp;
  /** …or once GET on this URL answers 200. Neither: ready as soon as it is spawned. */
  readyUrl?: string;
  timeoutMs?: number;
  pollMs?: number;
  /** Its own process group (signal the group with process.kill(-pid)), as a supervisor starts it. */
  detached?: boolean;
}

export interface Launched {
  child: ChildProcess;
  /** Everything captured from stdout and stderr so far. */
  output: () => string;
  /** The `readyOutput` match, when one was asked for. */
  match?: RegExpExecArray;
  /** Milliseconds from spawn to ready. */
  readyMs: number;
  /** Resolves when the child has exited and its output is read, with its exit code. */
  closed: Promise<number | null>;
  stop: () => Promise<void>;
}

/** Starts `command args` and waits until it is ready; an early exit or the timeout throws with its output. */
export async function launch(command: string, args: string[], options: LaunchOptions = {}): Promise<Launched> {
  const { env = {}, cwd = process.cwd(), stdout = 'capture', stderr = 'capture', readyOutput, readyUrl, timeoutMs = 15_000, pollMs = 50, detached = false } = options;
  const pipe = (mode: StreamMode): 'pipe' | 'inherit' | 'ignore' => (mode === 'capture' ? 'pipe' : mode);
  const started = performance.now();
  const child = spawn(command, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', pipe(stdout), pipe(stderr)], detached });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  child.once('error', (err) => (output += `\n${String(err)}`));
  const launched: Launched = { child, output: () => output, readyMs: 0, closed, stop: () => stopChild(child) };
  const isReady = async (): Promise<boolean> => {
    if (readyOutput) {
      const m = readyOutput.exec(output);
      if (m) launched.match = m;
      return m !== null;
    }
    if (!readyUrl) return true;
    try {
      return (await fetch(readyUrl)).status === 200;
    } catch {
      return false; // not listening yet
    }
  };
  const deadline = started + timeoutMs;
  for (;;) {
    if (await isReady()) break;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${args.join(' ')} exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (performance.now() > deadline) {
      await launched.stop();
      throw new Error(`${args.join(' ')} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  launched.readyMs = performance.now() - started;
  return launched;
}

/** Starts a Node script with this process's Node (Node 24 from node_modules/.bin under npm). */
export function launchNode(args: string[], options: LaunchOptions = {}): Promise<Launched> {
  return launch(process.execPath, args, options);
}

export interface ServiceProcess extends Launched {
  url: string;
  port: number;
}

export interface ServiceProcessOptions extends Omit<LaunchOptions, 'env' | 'readyOutput' | 'readyUrl'> {
  /** The compiled service's entry point; default dist/main.js. */
  main?: string;
  nodeArgs?: string[];
}

/** Starts the built service (dist/main.js) as its own process on a free port and waits for /health/ready. */
export async function startServiceProcess(env: Record<string, string>, options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const { main = join(options.cwd ?? process.cwd(), 'dist', 'main.js'), nodeArgs = [], ...launchOptions } = options;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const launched = await launchNode([...nodeArgs, main], {
    ...launchOptions,
    env: { HOST: '127.0.0.1', PORT: String(port), SHUTDOWN_GRACE_MS: '0', LOG_LEVEL: 'warn', ...env },
    readyUrl: `${url}/health/ready`,
  });
  return Object.assign(launched, { url, port });
}
