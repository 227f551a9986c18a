import type { Provider } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { AccountHealthService } from '../../src/account-health/account-health.service';
import { HealthMetrics } from '../../src/account-health/health-metrics';
import { ProviderIncidents } from '../../src/account-health/provider-incidents';
import { AccountMirror } from '../../src/account-mirror/account-mirror.service';
import { SelfEdits } from '../../src/accounts/self-edits';
import { EventBus } from '../../src/event-bus/event-bus';
import { RedisHealth } from '../../src/redis/redis-health';
import { REDIS } from '../../src/redis/redis.client';
import { stateProviders } from '../../src/state/state.module';

/**
 * What AccountsService needs beside StackOne in a unit test: the mirror, the self-edit marks and
 * account health in memory (their stores from the state layer; health's metrics left out), and the
 * event bus the mirror listens to.
 */
export function accountMirrorProviders(): Provider[] {
  return [
    AccountMirror,
    SelfEdits,
    AccountHealthService,
    { provide: HealthMetrics, useValue: { transitioned: (): void => undefined, recovered: (): void => undefined } },
    { provide: ProviderIncidents, useValue: { broke: (): Promise<boolean> => Promise.resolve(false) } },
    EventBus,
    DiscoveryService,
    MetadataScanner,
    RedisHealth,
    ...stateProviders(),
    { provide: REDIS, useValue: null },
  ];
}
