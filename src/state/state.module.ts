import { Global, Module, Provider } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { ACCOUNT_MIRROR_STORE, AccountMirrorStore, MemoryAccountMirrorStore, RedisAccountMirrorStore } from '../account-mirror/account-mirror.store';
import { ACCOUNT_HEALTH_STORE, AccountHealthStore, MemoryAccountHealthStore, RedisAccountHealthStore } from '../account-health/account-health.store';
import { INCIDENT_STORE, IncidentStore, MemoryIncidentStore, RedisIncidentStore } from '../account-health/incident.store';
import { MemorySelfEditStore, RedisSelfEditStore, SELF_EDIT_STORE, SelfEditStore } from '../accounts/self-edits';
import type { AllConfig } from '../app.config';
import { SessionRecord } from '../connect-sessions/session-record';
import { MemorySessionStore, RedisSessionStore, SESSION_STORE, SessionStore } from '../connect-sessions/session.store';
import { EVENT_LOG_STORE, EventLogStore, MemoryEventLogStore, RedisEventLogStore } from '../events/event-log.store';
import { IDEMPOTENCY_STORE, IdempotencyStore, IdempotencyStoreFullError, MemoryIdempotencyStore, RedisIdempotencyStore } from '../idempotency/idempotency.store';
import { Limiter, OUTBOUND_LIMITERS, OutboundLimiters } from '../stackone/outbound-budget';
import { MemoryThrottlerStorage } from '../throttling/memory-throttler.storage';
import { RedisThrottlerStorage } from '../throttling/redis-throttler.storage';
import { THROTTLER_STORAGE } from '../throttling/throttler-storage.token';
import { MemoryWebhookDeliveryStore, RedisWebhookDeliveryStore, WEBHOOK_DELIVERY_STORE, WebhookDeliveryStore } from '../webhooks/webhook-delivery.store';
import { SharedState, StoreDeclaration } from './shared-state';

type Config = ConfigService<AllConfig, true>;

const sessionKey = (record: SessionRecord): string => `${record.tenantId.length}:${record.tenantId}:${record.sessionId}`;
const prefixOf = (config: Config): string => config.get('redis', { infer: true }).keyPrefix;

/** The outbound StackOne budget's counters: per replica during an outage; a limiter's refusal is its answer. */
export function outboundLimiters(state: SharedState): OutboundLimiters {
  return (keyPrefix: string, points: number): Limiter =>
    state.store<Limiter>({
      use: 'outbound-budget',
      outage: 'local',
      isAnswer: (err) => err instanceof RateLimiterRes,
      // rejectIfRedisNotReady: a disconnected client fails at once instead of waiting for a reconnect.
      redis: (client) => new RateLimiterRedis({ storeClient: client, points, duration: 60, keyPrefix, rejectIfRedisNotReady: true }),
      memory: () => new RateLimiterMemory({ points, duration: 60, keyPrefix }),
    });
}

interface StoreEntry<T extends object> {
  token: symbol;
  declare: (config: Config) => StoreDeclaration<T>;
}
// Typed per store where it is declared, kept side by side in one list.
const entry = <T extends object>(token: symbol, declare: (config: Config) => StoreDeclaration<T>): StoreEntry<object> => ({ token, declare }) as unknown as StoreEntry<object>;

/**
 * Every store of the service by its DI token: the Redis implementation when REDIS_URL is set (shared
 * by the replicas), memory otherwise, and what it does while Redis is unreachable.
 */
export const STORES: ReadonlyArray<StoreEntry<object>> = [
  // Per-tenant request limits: per replica during an outage (the fleet may admit replicas × the limit).
  entry<ThrottlerStorage>(THROTTLER_STORAGE, (config) => ({
    use: 'throttle',
    outage: 'local',
    redis: (client) => new RedisThrottlerStorage(client, prefixOf(config)),
    memory: () => new MemoryThrottlerStorage(),
  })),
  // A retry could not be recognised without the store: 503 before StackOne is called.
  entry<IdempotencyStore>(IDEMPOTENCY_STORE, (config) => {
    const { memoryMaxEntries, memoryMaxBytes } = config.get('idempotency', { infer: true });
    return {
      use: 'idempotency',
      outage: 'retry-later',
      isAnswer: (err) => err instanceof IdempotencyStoreFullError,
      redis: (client) => new RedisIdempotencyStore(client, prefixOf(config)),
      memory: () => new MemoryIdempotencyStore({ maxEntries: memoryMaxEntries, maxBytes: memoryMaxBytes }),
    };
  }),
  // StackOne's deliveries de-duplicated per replica during an outage (handlers are idempotent).
  // A forget (the event was not taken in) must reach Redis even if it is down at the time, or
  // StackOne's retry after the outage would read as a duplicate: it is held until Redis is back.
  entry<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE, (config) => ({
    use: 'webhook-dedupe',
    outage: 'local',
    methods: { forget: 'hold' },
    alsoLocal: ['forget'],
    hold: { max: 10_000, key: ([id]) => String(id) },
    redis: (client) => new RedisWebhookDeliveryStore(client, prefixOf(config)),
    memory: () => new MemoryWebhookDeliveryStore(),
  })),
  // Another replica's memory would be staler than no answer: the mirror is skipped (the preview
  // asks StackOne), and an entry an event could not update is dropped once Redis is back.
  entry<AccountMirrorStore>(ACCOUNT_MIRROR_STORE, (config) => ({
    use: 'account-mirror',
    outage: 'retry-later',
    methods: { forget: 'hold' },
    hold: { max: 10_000, key: ([tenantId, provider]) => `${String(tenantId).length}:${String(tenantId)}:${String(provider)}` },
    redis: (client) => new RedisAccountMirrorStore(client, prefixOf(config)),
    memory: () => new MemoryAccountMirrorStore(config.get('accountMirror', { infer: true }).memoryMaxEntries),
  })),
  // Sessions: reads answer 503 and account events are delivered again during an outage; a session
  // created meanwhile waits in this replica's memory and is recorded when Redis is back.
  entry<SessionStore>(SESSION_STORE, (config) => {
    const { retentionSeconds, memoryMaxEntries } = config.get('sessions', { infer: true });
    return {
      use: 'sessions',
      outage: 'retry-later',
      methods: { add: 'hold' },
      hold: {
        max: memoryMaxEntries,
        key: ([record]) => sessionKey(record as SessionRecord),
        describe: ([record]) => `Session ${(record as SessionRecord).sessionId} of tenant ${(record as SessionRecord).tenantId}`,
      },
      redis: (client) => new RedisSessionStore(client, prefixOf(config), retentionSeconds * 1000),
      memory: () => new MemorySessionStore(memoryMaxEntries),
    };
  }),
  // The service's own account edits: always marked in this process too, so an outage loses none
  // here; a mark Redis cannot take is reported by SelfEdits (the PATCH goes ahead).
  entry<SelfEditStore>(SELF_EDIT_STORE, (config) => ({
    use: 'self-edits',
    outage: 'local',
    methods: { put: 'retry-later' },
    alsoLocal: ['put', 'covers'],
    redis: (client) => new RedisSelfEditStore(client, prefixOf(config)),
    memory: () => new MemorySelfEditStore(),
  })),
  // The feed: events go unrecorded (warned) and reads answer 503 during an outage.
  entry<EventLogStore>(EVENT_LOG_STORE, (config) => {
    const { retentionSeconds, memoryMaxEntries } = config.get('events', { infer: true });
    return {
      use: 'events',
      outage: 'retry-later',
      redis: (client) => new RedisEventLogStore(client, prefixOf(config), retentionSeconds * 1000),
      memory: () => new MemoryEventLogStore(retentionSeconds * 1000, memoryMaxEntries),
    };
  }),
  // Account health: no transition is recorded and no event goes out during an outage; the next read
  // or sweep finds the transition again (the stored state is compared, so it is announced once).
  entry<AccountHealthStore>(ACCOUNT_HEALTH_STORE, (config) => ({
    use: 'account-health',
    outage: 'retry-later',
    redis: (client) => new RedisAccountHealthStore(client, prefixOf(config)),
    memory: () => new MemoryAccountHealthStore(),
  })),
  // Provider incidents: counted per replica during an outage (an incident may then open later, or not).
  entry<IncidentStore>(INCIDENT_STORE, (config) => ({
    use: 'provider-incidents',
    outage: 'local',
    redis: (client) => new RedisIncidentStore(client, prefixOf(config)),
    memory: () => new MemoryIncidentStore(),
  })),
];

/** Providers of SharedState, every store above by its token and the outbound budget's counters (StateModule's, also for unit tests' modules). */
export function stateProviders(): Provider[] {
  return [
    SharedState,
    ...STORES.map(({ token, declare }): Provider => ({ provide: token, inject: [SharedState, ConfigService], useFactory: (state: SharedState, config: Config): object => state.store(declare(config)) })),
    { provide: OUTBOUND_LIMITERS, inject: [SharedState], useFactory: outboundLimiters },
  ];
}

/** The state layer: SharedState, every store above, and the outbound budget's counters. (The event relay's queue is chosen in EventRelayModule: BullMQ needs module imports of its own.) */
@Global()
@Module({
  providers: stateProviders(),
  exports: [SharedState, OUTBOUND_LIMITERS, ...STORES.map((s) => s.token)],
})
export class StateModule {}
