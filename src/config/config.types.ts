/** Typed configuration namespaces. Read them with `ConfigService<AllConfig, true>` and `{ infer: true }`. */
import { StackOneCategory } from '../stackone/stackone.categories';
import type { EventSubscriber } from './event-subscribers';

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Grace period between readiness turning unready and the server closing on SIGTERM. */
  shutdownGraceMs: number;
  /** Set: /metrics is served only on its own listener at metricsHost:metricsPort, not on the API port. */
  metricsPort?: number;
  metricsHost: string;
  /** false: no /docs and /docs-json. */
  apiDocsEnabled: boolean;
}

export interface StackOneConfig {
  baseUrl: string;
  apiKey: string;
  /** Total deadline of one call to StackOne, retries included. */
  timeoutMs: number;
  /** Budget for opening the TCP/TLS connection. */
  connectTimeoutMs: number;
  maxRetries: number;
  /** Cap on a Retry-After we are willing to wait for inside the deadline. */
  maxRetryAfterMs: number;
  /** Outbound limit for the whole fleet (StackOne allows about 1,000 per minute per key). */
  rateLimitPerMinute: number;
  /** Each tenant's ceiling within that budget (0: none), so a few busy tenants cannot starve the rest. */
  rateLimitPerTenantPerMinute: number;
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
  maxResponseBytes: number;
  /** Optional allow-lists; empty means "everything StackOne allows". */
  allowedProviders: string[];
  allowedCategories: StackOneCategory[];
  providersCacheTtlMs: number;
}

/** Where JWT verification keys come from: exactly one source, and only its own field. */
export type JwtKeySource =
  | { mode: 'secret'; secret: string }
  | { mode: 'public-key'; publicKeyPem: string }
  | { mode: 'jwks'; jwksUrl: string };
export type JwtKeyMode = JwtKeySource['mode'];

export type JwtConfig = JwtKeySource & {
  algorithms: string[];
  issuer?: string;
  audience?: string;
  clockToleranceSeconds: number;
};

interface ApiKeyIdentity {
  /** A label for logs and metrics; never the key itself. */
  name: string;
  /** Lower-case hex SHA-256 of the key. */
  sha256: string;
}

/** A key bound to one tenant, or (actForAnyTenant) one whose caller names the tenant with X-Tenant-Id / X-Tenant-Name. */
export type ApiKeyEntry =
  | (ApiKeyIdentity & { actForAnyTenant: false; tenantId: string; tenantName: string })
  | (ApiKeyIdentity & { actForAnyTenant: true });

export interface AuthConfig {
  jwt?: JwtConfig;
  apiKeys: ApiKeyEntry[];
  tenantIdClaim: string;
  tenantNameClaim: string;
  usernameClaim: string;
}

export interface HttpConfig {
  bodyLimitBytes: number;
  /** Time a request (headers and body) may take to arrive; slower clients get 408 and are disconnected. */
  requestTimeoutMs: number;
  /** false, a hop count, or a list of trusted proxy addresses/CIDRs. Never `true`. */
  trustProxy: false | number | string[];
  corsOrigins: string[];
  rateLimitPerTenantPerMinute: number;
  idempotencyTtlSeconds: number;
  /** Bounds of the in-memory idempotency store (used without Redis). */
  idempotencyMemoryMaxEntries: number;
  idempotencyMemoryMaxBytes: number;
}

export interface RedisConfig {
  url?: string;
  keyPrefix: string;
  /** Longest wait for one Redis command; past it the caller degrades (see RedisHealth). */
  commandTimeoutMs: number;
  /** Refuse to start when Redis (url set) does not answer at start-up, instead of starting degraded. */
  required: boolean;
}

export interface SessionsConfig {
  /** How long a session record outlives its expiresAt (status reads and listings). */
  retentionSeconds: number;
  /** Bound of the in-memory session store (used without Redis); the oldest records go first. */
  memoryMaxEntries: number;
}

export interface EventsConfig {
  /** How long the tenant event feed keeps an event. */
  retentionSeconds: number;
  /** Bound of the in-memory event log (used without Redis), in events of all tenants; the oldest go first. */
  memoryMaxEntries: number;
}

export interface EventRelayConfig {
  /** Internal services that get every event they filter for, signed (Standard Webhooks); empty: the relay is off. */
  subscribers: EventSubscriber[];
  /** First retry delay; each next one doubles, with jitter. */
  baseDelayMs: number;
  /** Attempts before a delivery is dead-lettered (the first one included). */
  maxAttempts: number;
  /** Total deadline of one delivery attempt (connect, send, answer). */
  timeoutMs: number;
  /** Deliveries in flight to one subscriber at once (per replica without Redis, across replicas with it). */
  concurrency: number;
  /** Bound of the in-process queue (no Redis), deliveries waiting or retrying. */
  memoryMaxJobs: number;
}

export interface WebhooksConfig {
  /** StackOne's webhook signing secrets (more than one while rotating); empty: POST /webhooks/stackone answers 404. */
  secrets: string[];
  /** A delivery is accepted only while its sent_at is within this many seconds of now; duplicates are remembered as long. */
  maxAgeSeconds: number;
}

export interface AccountMirrorConfig {
  /** Used only when webhooks are configured: without them nothing would keep it fresh. */
  enabled: boolean;
  /** How long an entry is trusted after it was made, so a lost webhook heals. */
  ttlMs: number;
  /** Bound of the in-memory mirror (no Redis), in tenant-provider entries. */
  memoryMaxEntries: number;
}

export interface AllConfig {
  app: AppConfig;
  stackone: StackOneConfig;
  auth: AuthConfig;
  http: HttpConfig;
  redis: RedisConfig;
  sessions: SessionsConfig;
  events: EventsConfig;
  eventRelay: EventRelayConfig;
  webhooks: WebhooksConfig;
  accountMirror: AccountMirrorConfig;
}
