import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AllConfig } from '../app.config';

/**
 * Readiness across the process's life. On SIGTERM readiness turns unready first, then we wait the
 * grace period so load balancers stop sending traffic, and only then does Nest close the server
 * (which lets in-flight requests finish). SIGINT is a person at a terminal (Ctrl-C): no balancer
 * to wait for, so the server closes at once.
 */
@Injectable()
export class LifecycleService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Lifecycle');
  private draining = false;

  constructor(private readonly config: ConfigService<AllConfig, true>) {}

  isDraining(): boolean {
    return this.draining;
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.draining = true;
    if (!signal) return;
    if (signal === 'SIGINT') {
      this.logger.log('SIGINT: stopping now (no drain; send SIGTERM to drain first)');
      return;
    }
    const graceMs = this.config.get('app', { infer: true }).shutdownGraceMs;
    this.logger.log(`${signal}: readiness is now unready; draining for ${graceMs} ms before closing`);
    await sleep(graceMs);
  }
}
