import { Logger } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { retryDelayMs } from './backoff';
import type { RelayJob } from './relay-job';
import { DeliveryHandlers, QueueDepth, QueueState, RelayQueue } from './relay-queue';

/** One queue per subscriber, so a slow or failing one never holds up the others' deliveries. */
export const relayQueueName = (subscriber: string): string => `relay-${subscriber}`;
/** Delivered jobs are kept this long (their ids de-duplicate a late copy of the same event), at most this many. */
export const KEEP_DELIVERED = { age: 86_400, count: 10_000 } as const;
/** Dead letters are kept for a week for replay (`npm run relay:replay`, replay-dead-letters.ts), at most this many per subscriber. */
export const KEEP_DEAD_LETTERS = { age: 7 * 86_400, count: 10_000 } as const;
const BACKOFF_TYPE = 'relay';

export interface BullQueueOptions {
  /** BullMQ's key prefix, under REDIS_KEY_PREFIX. */
  prefix: string;
  /** The workers' own connection: blocking commands, so no command timeout and maxRetriesPerRequest null. */
  workerConnection: ConnectionOptions;
  concurrency: number;
  maxAttempts: number;
  baseDelayMs: number;
  /** Longest wait for deliveries in flight at shutdown. */
  closeWithinMs: number;
  /** Longest wait to queue an event or count the queue: a few commands; past this Redis counts as unreachable (down or hung). */
  commandsWithinMs: number;
}

/**
 * The relay's queue in Redis (BullMQ): a job per delivery, its id the webhook-id, so the same event
 * queued twice (a StackOne retry, two replicas) is one job. Every replica runs a worker per
 * subscriber; BullMQ's job locks give each attempt to one of them, and the global concurrency bounds
 * deliveries in flight to one subscriber across the fleet. Retries wait in Redis (delayed jobs), so
 * a restart loses nothing; a job whose worker died is picked up again after the stalled interval.
 */
export class BullRelayQueue implements RelayQueue {
  readonly description = 'queue in Redis';
  readonly system = 'bullmq';
  private readonly logger = new Logger('EventRelay');
  private readonly workers: Worker[] = [];

  constructor(
    private readonly queues: ReadonlyMap<string, Queue>,
    private readonly options: BullQueueOptions,
  ) {
    // A connection error is re-emitted by the queue; unheard, it would crash the process. RedisHealth reports outages.
    for (const [subscriber, queue] of queues) queue.on('error', (err: Error) => this.connectionError(subscriber, err));
  }

  start(handlers: DeliveryHandlers): Promise<void> {
    for (const [subscriber, queue] of this.queues) {
      // Not awaited: while Redis is down it waits for the connection, and start-up must not. The limit is stored in Redis.
      void queue.setGlobalConcurrency(this.options.concurrency).catch((err: Error) => this.connectionError(subscriber, err));
      const worker = new Worker<RelayJob>(queue.name, (job: Job<RelayJob>) => handlers.attempt(job.data, job.attemptsMade + 1), {
        connection: this.options.workerConnection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency,
        settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade, this.options.baseDelayMs) },
      });
      worker.on('failed', (job: Job<RelayJob> | undefined, err: Error) => {
        if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) handlers.deadLettered(job.data, job.attemptsMade, err.message);
      });
      worker.on('error', (err: Error) => this.connectionError(subscriber, err));
      this.workers.push(worker);
    }
    return Promise.resolve();
  }

  add(jobs: RelayJob[]): Promise<void> {
    return withTimeout(this.addAll(jobs), this.options.commandsWithinMs);
  }

  private async addAll(jobs: RelayJob[]): Promise<void> {
    const bySubscriber = new Map<string, RelayJob[]>();
    for (const job of jobs) bySubscriber.set(job.subscriber, [...(bySubscriber.get(job.subscriber) ?? []), job]);
    await Promise.all(
      [...bySubscriber].map(([subscriber, list]) => {
        const queue = this.queues.get(subscriber);
        if (!queue) throw new Error(`no queue for subscriber ${subscriber}`);
        return queue.addBulk(
          list.map((data) => ({
            name: data.type,
            data,
            opts: {
              jobId: data.webhookId,
              attempts: this.options.maxAttempts,
              backoff: { type: BACKOFF_TYPE },
              removeOnComplete: KEEP_DELIVERED,
              removeOnFail: KEEP_DEAD_LETTERS,
            },
          })),
        );
      }),
    );
  }

  depth(): Promise<QueueDepth[]> {
    return withTimeout(this.countAll(), this.options.commandsWithinMs);
  }

  private async countAll(): Promise<QueueDepth[]> {
    const states: QueueState[] = ['waiting', 'delayed', 'active', 'failed'];
    const all = await Promise.all(
      [...this.queues].map(async ([subscriber, queue]) => {
        const counts = await queue.getJobCounts(...states);
        return states.map((state) => ({ subscriber, state, count: counts[state] ?? 0 }));
      }),
    );
    return all.flat();
  }

  private connectionError(subscriber: string, err: Error): void {
    this.logger.debug(`Relay queue of ${subscriber}: ${err.message}`);
  }

  /**
   * Lets deliveries in flight finish (each bounded by the attempt timeout), within `closeWithinMs`:
   * a graceful close waits on Redis and never ends while it is unreachable, so then (`force`) the
   * workers are closed at once; an unfinished job's lock expires and another replica retries it.
   * The queues themselves are closed by @nestjs/bullmq.
   */
  async close(force = false): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), this.options.closeWithinMs);
    });
    const closed = Promise.all(this.workers.map((w) => w.close(force).catch(() => undefined)));
    if ((await Promise.race([closed, late])) === 'late') this.logger.warn(`Relay workers not closed within ${this.options.closeWithinMs} ms; deliveries in flight are retried after their lock expires`);
    clearTimeout(timer);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
