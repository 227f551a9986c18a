import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { freePort, launch } from './processes';

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';

/**
 * A private redis-server on a free loopback port, no persistence, for tests that break Redis:
 * kill it (SIGKILL), hang it (SIGSTOP) and resume it (SIGCONT) under a running service, or start it
 * again on the same port. `close()` always resumes before it kills, so nothing is left stopped.
 */
export class RedisServer {
  private child?: ChildProcess;
  private stopped = false;

  private constructor(
    readonly port: number,
    private readonly password: string | undefined,
  ) {}

  static async start(options: { password?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.password);
    await server.restart();
    return server;
  }

  /** The URL a service uses (with the password when one is set). */
  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts redis-server (again) on the same port and waits until it answers PING. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    if (this.password) args.push('--requirepass', this.password);
    this.child = (await launch(REDIS_SERVER, args, { stdout: 'ignore', stderr: 'ignore' })).child;
    this.stopped = false;
    const deadline = Date.now() + 5_000;
    while (!(await this.answers())) {
      if (this.child.exitCode !== null) throw new Error(`redis-server exited (${this.child.exitCode})`);
      if (Date.now() > deadline) throw new Error('redis-server did not start within 5 s');
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: the port refuses connections until restart(). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    if (this.stopped) child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
    this.stopped = false;
  }

  /** SIGSTOP: connections stay open and nothing answers, like a hung server or a black hole. */
  pause(): void {
    this.child?.kill('SIGSTOP');
    this.stopped = true;
  }

  /** SIGCONT. */
  resume(): void {
    this.child?.kill('SIGCONT');
    this.stopped = false;
  }

  close(): Promise<void> {
    return this.kill();
  }

  private answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: this.port });
      const done = (ok: boolean): void => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.on('error', () => done(false));
      // Without AUTH a password-protected server answers NOAUTH: it is up either way.
      socket.on('data', (d: Buffer) => done(/^(\+PONG|-NOAUTH)/.test(d.toString())));
      socket.on('connect', () => socket.write('PING\r\n'));
    });
  }
}
