import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { ProblemException } from '../common/problem.exception';
import { RedisHealth } from '../redis/redis-health';
import { LifecycleService } from './lifecycle.service';

/** What /health/ready says while the process drains before shutting down. */
export const DRAINING_DETAIL = 'draining: shutting down';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly lifecycle: LifecycleService,
    private readonly redis: RedisHealth,
  ) {}

  @Get('live')
  // security: [] says in the document that no credential is asked (the routes are @Public()).
  @ApiOperation({ summary: 'Liveness: the process is up', security: [] })
  @ApiOkResponse({ description: 'Alive' })
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness: configuration loaded, not draining',
    security: [],
    description: 'details.redis.mode says how shared state is kept: memory (no Redis), shared, or degraded (Redis unreachable; still ready).',
  })
  @ApiOkResponse({ description: 'Ready (also while Redis is unreachable: the service serves in degraded mode)' })
  @ApiServiceUnavailableResponse({ description: 'Not ready: draining before shutdown (problem+json, detail "draining: shutting down")' })
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    // A plain reason instead of Terminus' "Service Unavailable Exception"; the request log keeps it quiet (see request-logging.ts).
    if (this.lifecycle.isDraining()) throw new ProblemException({ status: 503, detail: DRAINING_DETAIL });
    return this.health.check([() => this.checkLifecycle(), () => this.checkRedis()]);
  }

  private checkLifecycle(): HealthIndicatorResult {
    const check = this.indicator.check('lifecycle');
    return this.lifecycle.isDraining() ? check.down({ state: 'draining' }) : check.up({ state: 'serving' });
  }

  /**
   * Never unready for Redis: every replica shares it, so an outage would take the whole fleet out
   * of the load balancer although each replica still serves in degraded mode. The mode is shown
   * here and in the redis_degraded metric instead.
   */
  private checkRedis(): HealthIndicatorResult {
    const mode = this.redis.mode();
    return this.indicator.check('redis').up({ configured: mode !== 'memory', mode });
  }
}
