import type { RelayJob } from './relay-job';

/** What a queue runs: one attempt (throws to be retried), and what happens after the last one failed. */
export interface DeliveryHandlers {
  attempt(job: RelayJob, attemptNumber: number): Promise<void>;
  deadLettered(job: RelayJob, attempts: number, reason: string): void;
}

export type QueueState = 'waiting' | 'delayed' | 'active' | 'failed';

export interface QueueDepth {
  subscriber: string;
  state: QueueState;
  count: number;
}

/** The relay's queue: BullMQ in Redis across replicas, or this process's memory. */
export interface RelayQueue {
  /** Where deliveries wait, for the start-up line. */
  readonly description: string;
  /** The messaging system, as the delivery spans name it. */
  readonly system: 'bullmq' | 'in-process';
  start(handlers: DeliveryHandlers): Promise<void>;
  /** Queues the deliveries; one whose webhookId is already queued (or recently done) is not queued again. Throws when they could not be queued. */
  add(jobs: RelayJob[]): Promise<void>;
  depth(): Promise<QueueDepth[]>;
  /** Stops taking deliveries; lets those in flight finish unless `force` (Redis unreachable: nothing could be recorded anyway). Bounded. */
  close(force?: boolean): Promise<void>;
}

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}
