import type { AllConfig } from '../../src/app.config';
import type { RawEnv } from '../../src/config/load-config';
import { MetricsService } from '../../src/observability/metrics.service';
import type { RedisClient } from '../../src/redis/redis.client';
import { RedisHealth } from '../../src/redis/redis-health';
import { SharedState } from '../../src/state/shared-state';
import { outboundLimiters, STORES } from '../../src/state/state.module';
import type { OutboundLimiters } from '../../src/stackone/outbound-budget';
import { testConfigService } from './config';

export interface TestState {
  /** The store the app would get for `token` (StateModule's declaration: Redis or memory, and its outage policy). */
  store<T>(token: symbol): T;
  limiters: OutboundLimiters;
  config: ReturnType<typeof testConfigService>;
  health: RedisHealth;
  metrics: MetricsService;
  state: SharedState;
  /** Stops RedisHealth's probe. */
  close(): void;
}

/**
 * The state layer as the app wires it, over `redis` (a real client, a fake one, or null for
 * memory), so a feature service under test gets its stores with their declared outage policies.
 */
export function testState(env: RawEnv | AllConfig, redis: RedisClient): TestState {
  const config = testConfigService(env);
  const metrics = new MetricsService();
  const health = new RedisHealth(redis, config, metrics);
  const state = new SharedState(redis, health, metrics);
  state.onModuleInit();
  return {
    store: <T>(token: symbol): T => {
      const entry = STORES.find((s) => s.token === token);
      if (!entry) throw new Error(`no store declared for ${String(token)}`);
      return state.store(entry.declare(config)) as T;
    },
    limiters: outboundLimiters(state),
    config,
    health,
    metrics,
    state,
    close: (): void => health.onApplicationShutdown(),
  };
}
