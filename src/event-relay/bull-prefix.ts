/** BullMQ's keys sit under REDIS_KEY_PREFIX like every other key of the service. */
export const bullPrefix = (keyPrefix: string): string => `${keyPrefix}bull`;
