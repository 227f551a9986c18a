import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../observability/metrics.service';
import { RedisHealth } from '../redis/redis-health';
import { REDIS, RedisClient } from '../redis/redis.client';

/**
 * What a store does while Redis is unreachable, declared once where it is chosen (state.module.ts):
 * - `local`: this process's own memory answers (limits and de-duplication per replica meanwhile);
 * - `retry-later`: the call throws StateUnavailableError, which the feature turns into 503 +
 *   Retry-After for its caller, or into "deliver again" for an event's source;
 * - `hold`: the write waits in this process's memory (bounded, oldest dropped first) and is written
 *   when Redis is back; other calls of that store wait for those writes first.
 */
export type OutagePolicy = 'local' | 'retry-later' | 'hold';

/** Redis could not serve a `retry-later` store call (known down, failed or timed out). */
export class StateUnavailableError extends Error {
  override readonly name = 'StateUnavailableError';
  constructor(
    readonly use: string,
    readonly reason: string,
  ) {
    super(`${use}: shared state unavailable (${reason})`);
  }
}

type Method<T> = Extract<{ [K in keyof T]: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T], string>;

/** How a store in Redis behaves while Redis is unreachable. */
export interface StorePolicy<T extends object> {
  /** The label of redis_fallbacks_total, and the name in log lines. */
  use: string;
  /** The store's policy, and optionally another one for some of its methods. */
  outage: OutagePolicy;
  methods?: Partial<Record<Method<T>, OutagePolicy>>;
  /**
   * Methods the local store answers first, whatever the policy: a truthy answer is the answer, else
   * the call goes on to Redis under its policy (a forget, or a mark, must reach wherever it was written).
   */
  alsoLocal?: readonly Method<T>[];
  /** Errors that are the store's own answer (a limiter's refusal, a full store), not a failure of Redis. */
  isAnswer?: (err: unknown) => boolean;
  /**
   * Under `hold`: at most `max` writes wait; a write with the same key replaces the one waiting. With
   * `describe`, each held and each dropped write gets a warn line naming it (ids only).
   */
  hold?: { max: number; key: (args: readonly unknown[]) => string; describe?: (args: readonly unknown[]) => string };
  /** The local state: the store without Redis, and the fallback under `local`. */
  memory?: () => T;
}

export interface StoreDeclaration<T extends object> extends StorePolicy<T> {
  redis: (client: NonNullable<RedisClient>) => T;
  memory: () => T;
}

interface HeldWrite {
  run: () => Promise<unknown>;
}

interface Held {
  use: string;
  max: number;
  describe?: (args: readonly unknown[]) => string;
  writes: Map<string, HeldWrite & { args: readonly unknown[] }>;
}

/**
 * The one place where a store meets Redis's health: `store()` gives a feature the memory
 * implementation without REDIS_URL, else the Redis one wrapped so that every call follows the
 * store's declared outage policy. A call is skipped while RedisHealth knows Redis is down (no
 * request waits out a timeout), a failed call marks it down, and each fallback is counted. Writes
 * held during an outage are written when RedisHealth reports Redis back: the one recovery path.
 */
@Injectable()
export class SharedState implements OnModuleInit {
  private readonly logger = new Logger('SharedState');
  private readonly held: Held[] = [];
  private flushing?: Promise<void>;

  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    private readonly health: RedisHealth,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.health.onRecovered(() => void this.flush());
  }

  /** True when REDIS_URL is set: stores are shared by the replicas. */
  get isShared(): boolean {
    return this.redis !== null;
  }

  store<T extends object>(declaration: StoreDeclaration<T>): T {
    return this.redis ? this.wrap(declaration, declaration.redis(this.redis)) : declaration.memory();
  }

  /** `shared`, a store in Redis, made to follow the declared outage policy (for a store its module builds itself). */
  wrap<T extends object>(declaration: StorePolicy<T>, shared: T): T {
    const policies = declaration.methods ?? {};
    const alsoLocal = new Set<string>(declaration.alsoLocal ?? []);
    const needsLocal = declaration.outage === 'local' || Object.values(policies).includes('local') || alsoLocal.size > 0;
    const local = needsLocal ? declaration.memory?.() : undefined;
    if (needsLocal && !local) throw new Error(`${declaration.use}: a 'local' policy needs the memory implementation`);
    let held: Held | undefined;
    if (declaration.outage === 'hold' || Object.values(policies).includes('hold')) {
      held = { use: declaration.use, max: declaration.hold?.max ?? 10_000, describe: declaration.hold?.describe, writes: new Map() };
      this.held.push(held);
    }
    const isAnswer = declaration.isAnswer ?? ((): boolean => false);
    return new Proxy(shared, {
      get: (target, prop, receiver): unknown => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function' || typeof prop !== 'string') return value;
        const policy = (policies as Record<string, OutagePolicy | undefined>)[prop] ?? declaration.outage;
        const call = (store: T, args: unknown[]): unknown => (Reflect.get(store, prop) as (...a: unknown[]) => unknown).apply(store, args);
        const underPolicy = (args: unknown[], localAnswer?: () => unknown): unknown => {
          switch (policy) {
            case 'local':
              return this.orLocal(declaration.use, held, () => call(target, args), localAnswer ?? ((): unknown => call(local as T, args)), isAnswer);
            case 'hold':
              return this.orHold(held as Held, declaration.hold?.key(args) ?? String(held?.writes.size), args, () => call(target, args), isAnswer);
            default:
              return this.orUnavailable(declaration.use, held, () => call(target, args), isAnswer);
          }
        };
        if (!alsoLocal.has(prop)) return (...args: unknown[]): unknown => underPolicy(args);
        return async (...args: unknown[]): Promise<unknown> => {
          const mine: unknown = await call(local as T, args);
          return mine ? mine : underPolicy(args, () => mine);
        };
      },
    });
  }

  /** Resolves when the writes held during an outage are written (at once when none wait). */
  async settled(): Promise<void> {
    await this.flushing;
  }

  private async orLocal(use: string, held: Held | undefined, shared: () => unknown, local: () => unknown, isAnswer: (err: unknown) => boolean): Promise<unknown> {
    if (this.health.available()) {
      // Writes held during the outage (e.g. a forget) go first, so this call sees them.
      if (held && held.writes.size > 0) await this.flushing;
      try {
        return await shared();
      } catch (err) {
        if (isAnswer(err)) throw err;
        this.health.failed(err);
      }
    }
    this.fellBack(use);
    return local();
  }

  private orUnavailable(use: string, held: Held | undefined, op: () => unknown, isAnswer: (err: unknown) => boolean): unknown {
    if (!this.health.available()) {
      this.fellBack(use);
      return unavailable(new StateUnavailableError(use, 'Redis degraded'));
    }
    const fail = (err: unknown): never => {
      if (isAnswer(err)) throw err;
      this.health.failed(err);
      this.fellBack(use);
      throw new StateUnavailableError(use, err instanceof Error ? err.message : String(err));
    };
    const run = async (): Promise<unknown> => {
      if (held && held.writes.size > 0) await this.flushing;
      return op();
    };
    const result = held && held.writes.size > 0 ? run() : op();
    if (isPromise(result)) return result.catch(fail);
    if (isAsyncIterable(result)) return guardIterable(result, fail);
    return result;
  }

  private async orHold(held: Held, key: string, args: readonly unknown[], op: () => unknown, isAnswer: (err: unknown) => boolean): Promise<void> {
    let reason = 'Redis degraded';
    if (this.health.available()) {
      try {
        await op();
        return;
      } catch (err) {
        if (isAnswer(err)) throw err;
        this.health.failed(err);
        reason = err instanceof Error ? err.message : String(err);
      }
    }
    this.fellBack(held.use);
    held.writes.delete(key);
    held.writes.set(key, { run: () => Promise.resolve(op()), args });
    if (held.describe) this.logger.warn(`${held.describe(args)} not recorded yet (${reason}): kept in this replica's memory until Redis is back.`);
    // Oldest dropped first past the bound.
    for (const [oldest, write] of held.writes) {
      if (held.writes.size <= held.max) break;
      held.writes.delete(oldest);
      this.logger.warn(`${held.describe?.(write.args) ?? `A ${held.use} write`} dropped unrecorded: more than ${held.max} waited for Redis.`);
    }
  }

  /** One flush at a time: writes held meanwhile join the next one. */
  private flush(): Promise<void> {
    this.flushing ??= this.writeHeld().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async writeHeld(): Promise<void> {
    for (const held of this.held) {
      let written = 0;
      for (const [key, write] of [...held.writes]) {
        if (!this.health.available()) return;
        try {
          await write.run();
          if (held.writes.get(key) === write) held.writes.delete(key);
          written++;
        } catch (err) {
          this.health.failed(err);
          return;
        }
      }
      if (written > 0) this.logger.log(`${held.use}: ${written} write(s) that waited for Redis are written.`);
    }
  }

  private fellBack(use: string): void {
    this.metrics.redisFallbacks.inc({ use });
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

/**
 * A refusal usable both ways a store answers: awaited (a rejected promise) or iterated (an async
 * iterable whose first page rejects), since which one a method returns is known only by calling it.
 */
function unavailable(err: StateUnavailableError): Promise<never> & AsyncIterable<never> {
  const refused = Promise.reject(err);
  // Marked handled: a caller that iterates never awaits the promise itself.
  refused.catch(() => undefined);
  return Object.assign(refused, {
    [Symbol.asyncIterator]: (): AsyncIterator<never> => ({ next: (): Promise<never> => Promise.reject(err) }),
  });
}

/** A store's async iterable (paged reads): each page read follows the same failure rule. */
function guardIterable(source: AsyncIterable<unknown>, fail: (err: unknown) => never): AsyncIterable<unknown> {
  return {
    [Symbol.asyncIterator]: (): AsyncIterator<unknown> => {
      const it = source[Symbol.asyncIterator]();
      return {
        next: (): Promise<IteratorResult<unknown>> => it.next().catch(fail),
        return: (value?: unknown): Promise<IteratorResult<unknown>> => (it.return ? it.return(value).catch(fail) : Promise.resolve({ done: true, value })),
      };
    },
  };
}
