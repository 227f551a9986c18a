import type { Redis } from 'ioredis';

/** Injection token for the shared Redis client; the value is `null` when REDIS_URL is not set. */
export const REDIS = Symbol('REDIS');
export type RedisClient = Redis | null;
