import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { once } from 'node:events';
import type { RedisConfig } from './redis.config';
import { StartupError } from '../config/startup-error';
import { MetricsService } from '../observability/metrics.service';
import { REDIS, RedisClient } from './redis.client';

/** `memory`: no REDIS_URL; `shared`: Redis in use; `degraded`: Redis unreachable, per-process fallbacks in use. */
export type RedisMode = 'memory' | 'shared' | 'degraded';
const PROBE_INTERVAL_MS = 1_000;

/** REDIS_REQUIRED=true and Redis did not answer at start-up: the process refuses to start (main.ts prints the message). */
export class RedisRequiredError extends StartupError {
  override readonly name = 'RedisRequiredError';
}

/**
 * Whether Redis can be used right now, for every Redis user in this process. A failed or timed-out
 * command, a failed background PING (one a second) or a lost connection switches to degraded at
 * once; from then on callers skip Redis (no request waits on a hanging server) until a PING or the
 * client's 'ready' event shows it back. One log line per transition, never per request; the URL's password is never logged.
 */
@Injectable()
export class RedisHealth implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly host: string;
  private readonly startupWaitMs: number;
  private readonly required: boolean;
  private started = false;
  /** The connection's latest error, for the start-up refusal (ioredis names host:port, never the password). */
  private lastError?: string;
  private degraded = false;
  private probe?: NodeJS.Timeout;
  private probing = false;
  private closing = false;
  private readonly recoveryListeners: Array<() => void> = [];

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    config: ConfigService<{ redis: RedisConfig }, true>,
    private readonly metrics: MetricsService,
  ) {
    const { commandTimeoutMs, required } = config.get('redis', { infer: true });
    this.required = required;
    // Host and port only: the URL may carry a password.
    this.host = redis ? `${redis.options.host ?? '?'}:${redis.options.port ?? '?'}` : '';
    this.startupWaitMs = Math.max(2_000, commandTimeoutMs);
    this.metrics.redisDegraded.set(0);
    if (!redis) return;
    redis.on('ready', () => this.recovered());
    // 'reconnecting', not 'close': a QUIT of our own closes the connection too, but never reconnects.
    redis.on('reconnecting', () => this.failed(new Error('connection lost')));
    redis.on('error', (err: Error) => {
      this.lastError = err.message;
      if (this.degraded) this.logger.debug(`Redis still unreachable (${this.host}): ${err.message}`);
      else this.failed(err);
    });
    // One PING a second finds a hang without traffic, and the way back from one.
    this.probe = setInterval(() => void this.ping(), PROBE_INTERVAL_MS).unref();
  }

  /**
   * Lets the first requests find the connection up: commands are not queued while connecting. With
   * REDIS_REQUIRED, a PING must answer within the wait too, or start-up fails (instead of a fleet
   * silently starting degraded because of a typo in REDIS_URL).
   */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.redis) return;
    const redis = this.redis;
    const reason = await this.startupProblem(redis);
    if (reason !== undefined && this.required) {
      throw new RedisRequiredError(
        `Redis at ${this.host} did not answer at start-up (${reason}) and REDIS_REQUIRED is true: refusing to start. Check REDIS_URL, or set REDIS_REQUIRED=false to start degraded.`,
      );
    }
    this.started = true;
    if (reason !== undefined) this.failed(new Error('not connected at start-up'));
  }

  /** Why Redis cannot be used yet (bounded by the start-up wait), or undefined when it can. */
  private async startupProblem(redis: NonNullable<RedisClient>): Promise<string | undefined> {
    const timeout = AbortSignal.timeout(this.startupWaitMs);
    if (redis.status !== 'ready') {
      const connected = await once(redis, 'ready', { signal: timeout }).then(
        () => true,
        () => false,
      );
      if (!connected) return `not connected within ${this.startupWaitMs} ms${this.lastError ? `: ${this.lastError}` : ''}`;
    }
    if (!this.required) return undefined;
    // ioredis bounds the PING by the command timeout.
    return redis.ping().then(
      () => undefined,
      (err: unknown) => `PING failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
  }

  onApplicationShutdown(): void {
    clearInterval(this.probe);
    this.probe = undefined;
  }

  mode(): RedisMode {
    if (!this.redis) return 'memory';
    return this.degraded ? 'degraded' : 'shared';
  }

  /** True when Redis is configured and not known to be down: only then is it worth a command. */
  available(): boolean {
    return this.redis !== null && !this.degraded;
  }

  /** A command failed or timed out, or the connection dropped. */
  failed(err: unknown): void {
    if (!this.redis || this.degraded || this.closing) return;
    // Required and still starting: the refusal says it once, not a degraded-mode line first.
    if (this.required && !this.started) return;
    this.degraded = true;
    this.metrics.redisDegraded.set(1);
    const reason = err instanceof Error ? err.message : String(err);
    this.logger.warn(
      `Redis unreachable (${this.host}): ${reason}. Degraded: each store follows its outage policy until Redis is back (docs/operations.md, "When Redis is down or slow").`,
    );
  }

  /** Runs `listener` each time Redis is reachable again after being degraded (e.g. to write what waited in memory). */
  onRecovered(listener: () => void): void {
    this.recoveryListeners.push(listener);
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.metrics.redisDegraded.set(0);
    this.logger.warn(`Redis reachable again (${this.host}): shared state restored.`);
    for (const listener of this.recoveryListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.warn(`A recovery listener failed: ${err instanceof Error ? err.name : typeof err}`);
      }
    }
  }

  // A hung server keeps the TCP connection open: no event says it hangs, or that it is back.
  private async ping(): Promise<void> {
    if (!this.redis || this.probing || this.closing || this.redis.status !== 'ready') return;
    this.probing = true;
    try {
      await this.redis.ping();
      this.recovered();
    } catch (err) {
      this.failed(err);
    } finally {
      this.probing = false;
    }
  }
}
