import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Pool } from 'undici';
import type { AllConfig } from '../app.config';

/**
 * Upper bound of sockets to StackOne per process. The fleet budget is ~1,000 calls a minute, so a
 * handful of keep-alive sockets carries normal load; 64 leaves room for bursts and slow answers
 * without letting one process open hundreds of TLS sessions.
 */
const MAX_CONNECTIONS = 64;

/** The undici Pool to StackOne's origin: one per process, closed when the application shuts down. */
@Injectable()
export class StackOnePool implements OnApplicationShutdown {
  readonly pool: Pool;
  /** The base URL's path without a trailing slash (e.g. '' or '/v1'): every request path starts with it. */
  readonly basePath: string;

  constructor(config: ConfigService<AllConfig, true>) {
    const { baseUrl, connectTimeoutMs, timeoutMs, maxResponseBytes } = config.get('stackone', { infer: true });
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: MAX_CONNECTIONS,
      pipelining: 1,
      // Shorter than common load-balancer idle timeouts (60 s), so we close idle sockets first
      // instead of reusing one the far side is closing.
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: connectTimeoutMs },
      // Backstops only: the per-call AbortSignal enforces the real total deadline.
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      // Memory stays bounded: a longer body ends the connection (UND_ERR_RES_EXCEEDED_MAX_SIZE).
      maxResponseSize: maxResponseBytes,
    });
  }

  /**
   * Not onModuleDestroy: Nest runs that before beforeApplicationShutdown, i.e. before the readiness
   * drain and before the HTTP server stops, when in-flight requests still need StackOne.
   * `close()` lets requests already queued finish (each is bounded by its deadline).
   */
  async onApplicationShutdown(): Promise<void> {
    if (!this.pool.closed && !this.pool.destroyed) await this.pool.close().catch(() => undefined);
  }
}
