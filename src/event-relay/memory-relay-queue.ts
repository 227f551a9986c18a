import { retryDelayMs } from './backoff';
import type { RelayJob } from './relay-job';
import { DeliveryHandlers, QueueDepth, QueueFullError, RelayQueue } from './relay-queue';

interface Entry {
  job: RelayJob;
  attemptsMade: number;
  state: 'waiting' | 'delayed' | 'active';
  timer?: NodeJS.Timeout;
}

export interface MemoryQueueOptions {
  subscribers: readonly string[];
  concurrency: number;
  maxAttempts: number;
  baseDelayMs: number;
  /** Deliveries waiting, retrying or in flight, of all subscribers; more are refused. */
  maxJobs: number;
}

/**
 * The relay's queue without Redis: the same schedule as BullMQ's (backoff.ts), at most `concurrency`
 * deliveries in flight per subscriber, at most `maxJobs` queued. It lives in this process only: what
 * is queued or retrying is lost on restart (docs/events.md says so), and dead letters are logged, not kept.
 */
export class MemoryRelayQueue implements RelayQueue {
  readonly description = 'in-process queue, lost on restart';
  readonly system = 'in-process';
  private readonly entries = new Map<string, Entry>();
  /** Ids delivered or dead-lettered lately, so the same event queued again is not delivered twice. */
  private readonly done = new Set<string>();
  private readonly lanes = new Map<string, { active: number; ready: Entry[] }>();
  private handlers?: DeliveryHandlers;
  private closed = false;

  constructor(private readonly options: MemoryQueueOptions) {
    for (const name of options.subscribers) this.lanes.set(name, { active: 0, ready: [] });
  }

  start(handlers: DeliveryHandlers): Promise<void> {
    this.handlers = handlers;
    for (const name of this.lanes.keys()) this.pump(name);
    return Promise.resolve();
  }

  add(jobs: RelayJob[]): Promise<void> {
    const fresh = jobs.filter((j, i) => !this.entries.has(j.webhookId) && !this.done.has(j.webhookId) && jobs.findIndex((o) => o.webhookId === j.webhookId) === i);
    if (this.entries.size + fresh.length > this.options.maxJobs) {
      return Promise.reject(new QueueFullError(`the in-process relay queue holds ${this.entries.size} deliveries (EVENT_DELIVERY_MEMORY_MAX_JOBS=${this.options.maxJobs})`));
    }
    for (const job of fresh) {
      const entry: Entry = { job, attemptsMade: 0, state: 'waiting' };
      this.entries.set(job.webhookId, entry);
      this.ready(entry);
    }
    return Promise.resolve();
  }

  depth(): Promise<QueueDepth[]> {
    const counts: QueueDepth[] = [];
    for (const subscriber of this.lanes.keys()) {
      for (const state of ['waiting', 'delayed', 'active'] as const) {
        let count = 0;
        for (const e of this.entries.values()) if (e.job.subscriber === subscriber && e.state === state) count += 1;
        counts.push({ subscriber, state, count });
      }
    }
    return Promise.resolve(counts);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const e of this.entries.values()) clearTimeout(e.timer);
    return Promise.resolve();
  }

  private ready(entry: Entry): void {
    entry.state = 'waiting';
    this.lanes.get(entry.job.subscriber)?.ready.push(entry);
    this.pump(entry.job.subscriber);
  }

  private pump(subscriber: string): void {
    const lane = this.lanes.get(subscriber);
    if (!lane || !this.handlers || this.closed) return;
    while (lane.active < this.options.concurrency && lane.ready.length > 0) {
      const entry = lane.ready.shift() as Entry;
      lane.active += 1;
      void this.run(entry).finally(() => {
        lane.active -= 1;
        this.pump(subscriber);
      });
    }
  }

  private async run(entry: Entry): Promise<void> {
    const handlers = this.handlers as DeliveryHandlers;
    entry.state = 'active';
    entry.attemptsMade += 1;
    try {
      await handlers.attempt(entry.job, entry.attemptsMade);
      this.finish(entry);
    } catch (err) {
      if (this.closed) return;
      if (entry.attemptsMade >= this.options.maxAttempts) {
        this.finish(entry);
        handlers.deadLettered(entry.job, entry.attemptsMade, err instanceof Error ? err.message : String(err));
        return;
      }
      entry.state = 'delayed';
      entry.timer = setTimeout(() => this.ready(entry), retryDelayMs(entry.attemptsMade, this.options.baseDelayMs));
      entry.timer.unref();
    }
  }

  private finish(entry: Entry): void {
    this.entries.delete(entry.job.webhookId);
    this.done.add(entry.job.webhookId);
    // Insertion order is completion order: forget the oldest first.
    for (const id of this.done) {
      if (this.done.size <= this.options.maxJobs) break;
      this.done.delete(id);
    }
  }
}
