import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { once } from 'node:events';
import { createServer, IncomingMessage, Server, ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemType } from '../common/problem';
import { slugFor } from '../common/problem.exception';
import type { AllConfig } from '../app.config';
import { StartupError } from '../config/startup-error';
import { MetricsService } from './metrics.service';

/** Scrapers are few (Prometheus, an agent): enough for them, not for a flood. */
const MAX_CONNECTIONS = 32;
/** A scrape's request must arrive within this; the answer is computed in process. */
const REQUEST_TIMEOUT_MS = 5_000;

/**
 * /metrics on its own port (METRICS_PORT), so the API port that faces StackOne's webhooks and the
 * internet does not serve it. A bare node:http listener: one route, no auth, no body, nothing of
 * the API's pipeline to carry. Absent when METRICS_PORT is unset (MetricsController serves it then).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly config: ConfigService<AllConfig, true>,
    private readonly metrics: MetricsService,
  ) {}

  /** Listens before the API does, so a busy metrics port stops start-up instead of being found later. */
  async onApplicationBootstrap(): Promise<void> {
    const { metricsPort, metricsHost } = this.config.get('app', { infer: true });
    if (metricsPort === undefined) return;
    const server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: 5_000 }, (req, res) => void this.answer(req, res));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? err.message;
        reject(new StartupError(`METRICS_PORT: cannot listen on ${metricsHost}:${metricsPort} (${code === 'EADDRINUSE' ? 'address already in use' : code})`));
      });
      server.listen(metricsPort, metricsHost, resolve);
    });
    this.server = server;
    const { address, port } = server.address() as AddressInfo;
    this.logger.log(`Metrics on http://${address}:${port}/metrics (and not on the API port)`);
  }

  /** After the API has closed, so metrics stay scrapeable through the drain. */
  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = once(server, 'close');
    server.close();
    // A scraper's idle keep-alive connection must not hold the process open.
    server.closeAllConnections();
    await closed;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== '/metrics') return problem(res, 404, 'Only /metrics is served on this port.');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return problem(res, 405, 'Use GET.');
    }
    try {
      const body = await this.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      this.logger.error(`Metrics could not be collected: ${err instanceof Error ? err.message : String(err)}`);
      problem(res, 500, 'Metrics could not be collected.');
    }
  }
}

function problem(res: ServerResponse, status: number, detail: string): void {
  res.writeHead(status, { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' });
  res.end(JSON.stringify({ type: problemType(slugFor(status)), title: STATUS_CODES[status], status, detail }));
}
