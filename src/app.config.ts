import { IsNotEmpty, IsOptional, IsString } from 'class-validator';
import { accountHealthSettings } from './account-health/account-health.config';
import { accountMirrorSettings } from './account-mirror/account-mirror.config';
import { authSettings } from './auth/auth.config';
import { EnvBoolean, EnvInt, EnvOneOf, EnvRule } from './config/env.decorators';
import { ConfigOf, loadSettings, RawEnv, Settings, validateVariables, variableNames, VariablesOf } from './config/load-config';
import { sessionsSettings } from './connect-sessions/sessions.config';
import { eventRelaySettings } from './event-relay/event-relay.config';
import { eventsSettings } from './events/events.config';
import { httpSettings } from './http-edge/http-edge.config';
import { idempotencySettings } from './idempotency/idempotency.config';
import { redisSettings } from './redis/redis.config';
import { stackOneSettings } from './stackone/stackone.config';
import { throttlingSettings } from './throttling/throttling.config';
import { webhooksSettings } from './webhooks/webhooks.config';

/*
 * The service's configuration, composed from every feature's settings (each in its folder, as
 * <feature>.config.ts). Here rather than in app.module.ts: main.ts, the demo and the relay's replay
 * script load it before (or without) any module graph. How to add a variable: docs/architecture.md.
 */

const NODE_ENVS = ['development', 'production', 'test'] as const;
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The process's own settings: where it listens, how it logs, how long it drains. */
export interface AppConfig {
  nodeEnv: (typeof NODE_ENVS)[number];
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Grace period between readiness turning unready and the server closing on SIGTERM. */
  shutdownGraceMs: number;
  /** Set: /metrics is served only on its own listener at metricsHost:metricsPort, not on the API port. */
  metricsPort?: number;
  metricsHost: string;
  /** false: no /docs and /docs-json. */
  apiDocsEnabled: boolean;
}

export class AppVariables {
  @EnvOneOf(NODE_ENVS) NODE_ENV: AppConfig['nodeEnv'] = 'production';
  @IsString() @IsNotEmpty() HOST = '0.0.0.0';
  @EnvInt(0) PORT = 3000;
  @EnvOneOf(LOG_LEVELS) LOG_LEVEL: AppConfig['logLevel'] = 'info';
  @EnvInt(0) SHUTDOWN_GRACE_MS = 5000;
  /** Set: /metrics is served only on this port (its own listener), not on PORT. */
  @IsOptional()
  @EnvInt(1)
  @EnvRule('metricsPort', (value, env) => metricsPortProblem(value, env as AppVariables))
  METRICS_PORT?: number;
  /** Unset: HOST. Only read when METRICS_PORT is set. */
  @IsOptional() @IsString() @IsNotEmpty() METRICS_HOST?: string;
  @EnvBoolean() API_DOCS_ENABLED = true;
}

function metricsPortProblem(value: unknown, env: AppVariables): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return undefined; // EnvInt says so
  if (value > 65_535) return 'must be a port number (1-65535)';
  return value === env.PORT ? 'must differ from PORT (the API port): the point is to keep /metrics off it' : undefined;
}

const appSettings: Settings<AppVariables, AppConfig> = {
  variables: AppVariables,
  build: (env) => ({
    nodeEnv: env.NODE_ENV,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    metricsPort: env.METRICS_PORT,
    metricsHost: env.METRICS_HOST ?? env.HOST,
    apiDocsEnabled: env.API_DOCS_ENABLED,
  }),
};

/** Namespace → settings. A start-up refusal lists the problems in this order. */
export const SETTINGS = {
  app: appSettings,
  stackone: stackOneSettings,
  auth: authSettings,
  http: httpSettings,
  throttling: throttlingSettings,
  idempotency: idempotencySettings,
  redis: redisSettings,
  sessions: sessionsSettings,
  events: eventsSettings,
  webhooks: webhooksSettings,
  accountMirror: accountMirrorSettings,
  accountHealth: accountHealthSettings,
  eventRelay: eventRelaySettings,
};

/** Read it with `ConfigService<AllConfig, true>` and `{ infer: true }`. */
export type AllConfig = ConfigOf<typeof SETTINGS>;

/** Every variable the service reads, for docs and tests. */
export const ENV_KEYS: readonly string[] = variableNames(SETTINGS);

/** Every feature's variables parsed and validated in one pass; throws a ConfigError listing every problem. */
export function validateEnvironment(raw: RawEnv): VariablesOf<typeof SETTINGS> {
  return validateVariables(SETTINGS, raw);
}

/** The typed configuration (every namespace), or a ConfigError naming every offending variable, never a value. */
export function loadConfig(raw: RawEnv): AllConfig {
  return loadSettings(SETTINGS, raw);
}
