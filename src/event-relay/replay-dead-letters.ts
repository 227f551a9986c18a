import { parseArgs } from 'node:util';
import { Job, Queue } from 'bullmq';
import { loadConfig } from '../app.config';
import { ConfigError, readEnvironment } from '../config/load-config';
import { relayQueueName } from './bull-relay-queue';
import { bullPrefix } from './event-relay.module';
import type { RelayJob } from './relay-job';

const USAGE = `Replays dead-lettered event deliveries (kept 7 days in Redis): each goes back to its queue with a full retry schedule.

  node dist/event-relay/replay-dead-letters.js --subscriber <name> [--webhook-id <msg_…>]… [--tenant <id>] [--dry-run]

Run it where the service runs (same environment: REDIS_URL, REDIS_KEY_PREFIX, EVENT_SUBSCRIBERS).
Prints one line per delivery (webhook-id, type, tenant), never a body or secret.`;

/** The whole run is bounded: a Redis that does not answer fails it instead of hanging the operator's shell. */
const RUN_TIMEOUT_MS = 60_000;
const PAGE = 500;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      subscriber: { type: 'string' },
      'webhook-id': { type: 'string', multiple: true },
      tenant: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.subscriber) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const config = loadConfig(readEnvironment());
  const { url, keyPrefix, commandTimeoutMs } = config.redis;
  if (!url) {
    process.stderr.write('REDIS_URL is not set: without Redis dead letters are not kept (the in-process queue only logs them).\n');
    return 2;
  }
  const subscriber = config.eventRelay.subscribers.find((s) => s.name === values.subscriber);
  if (!subscriber) {
    process.stderr.write(`No subscriber named "${values.subscriber}" in EVENT_SUBSCRIBERS (known: ${config.eventRelay.subscribers.map((s) => s.name).join(', ') || 'none'}).\n`);
    return 2;
  }
  const ids = new Set(values['webhook-id'] ?? []);
  const queue = new Queue<RelayJob>(relayQueueName(subscriber.name), {
    connection: { url, enableOfflineQueue: true, commandTimeout: Math.max(commandTimeoutMs, 5_000), maxRetriesPerRequest: 1 },
    prefix: bullPrefix(keyPrefix),
  });
  queue.on('error', () => undefined);
  try {
    let replayed = 0;
    const chosen: Job<RelayJob>[] = [];
    for (let start = 0; ; start += PAGE) {
      const page = (await queue.getFailed(start, start + PAGE - 1)) as Job<RelayJob>[];
      for (const job of page) {
        if (ids.size > 0 && !ids.has(job.id ?? '')) continue;
        if (values.tenant !== undefined && job.data.data.tenantId !== values.tenant) continue;
        chosen.push(job);
      }
      if (page.length < PAGE) break;
    }
    for (const job of chosen) {
      if (!values['dry-run']) await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      replayed += 1;
      process.stdout.write(`${values['dry-run'] ? 'would replay' : 'replayed'} ${job.id} ${job.data.type} tenant ${job.data.data.tenantId}\n`);
    }
    process.stdout.write(`${replayed} dead letter(s) ${values['dry-run'] ? 'to replay' : 'replayed'} for ${subscriber.name}\n`);
    return 0;
  } finally {
    await queue.close().catch(() => undefined);
  }
}

const timer = setTimeout(() => {
  process.stderr.write(`Gave up after ${RUN_TIMEOUT_MS / 1000} s: Redis did not answer.\n`);
  process.exit(1);
}, RUN_TIMEOUT_MS);
timer.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `Replay failed: ${err instanceof Error ? err.message : String(err)}`}\n`);
    process.exit(1);
  },
);
