import { Pool } from 'undici';
import { Webhook } from 'standardwebhooks';
import type { EventSubscriber } from './event-subscribers';
import { bodyOf, RelayJob } from './relay-job';

/** The most of a subscriber's answer ever read: only the status matters. */
const RESPONSE_READ_LIMIT = 1_024;
/** A larger answer ends the connection instead of being buffered. */
const RESPONSE_MAX_BYTES = 65_536;

/** How one attempt ended, as a bounded metric label. */
export type AttemptResult = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'refused' | 'error';

export class DeliveryFailedError extends Error {
  override readonly name = 'DeliveryFailedError';
  constructor(readonly result: AttemptResult) {
    super(`attempt failed: ${result}`);
  }
}

/**
 * POSTs signed events to subscribers: one undici Pool per subscriber (its connections bound the
 * deliveries in flight to it), never following a redirect (a Pool does not), a total deadline per
 * attempt, and at most a kilobyte of the answer read. The secret is used to sign and never logged.
 */
export class SubscriberClient {
  private readonly pools = new Map<string, { pool: Pool; path: string; signer: Webhook }>();

  constructor(
    subscribers: readonly EventSubscriber[],
    private readonly timeoutMs: number,
    concurrency: number,
  ) {
    for (const s of subscribers) {
      const url = new URL(s.url);
      this.pools.set(s.name, {
        pool: new Pool(url.origin, {
          connections: concurrency,
          pipelining: 1,
          connect: { timeout: Math.min(timeoutMs, 5_000) },
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          maxResponseSize: RESPONSE_MAX_BYTES,
        }),
        path: `${url.pathname}${url.search}`,
        signer: new Webhook(s.secret),
      });
    }
  }

  /** Resolves on a 2xx answer; otherwise throws DeliveryFailedError saying how it failed. */
  async deliver(job: RelayJob): Promise<AttemptResult> {
    const target = this.pools.get(job.subscriber);
    if (!target) throw new DeliveryFailedError('error');
    const payload = JSON.stringify(bodyOf(job));
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'stackone-connect-service-relay',
      'webhook-id': job.webhookId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': target.signer.sign(job.webhookId, now, payload),
    };
    let status: number;
    try {
      const res = await target.pool.request({ path: target.path, method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.timeoutMs) });
      status = res.statusCode;
      await res.body.dump({ limit: RESPONSE_READ_LIMIT }).catch(() => undefined);
    } catch (err) {
      throw new DeliveryFailedError(classify(err));
    }
    const result = `${Math.floor(status / 100)}xx` as AttemptResult;
    if (status >= 200 && status < 300) return '2xx';
    throw new DeliveryFailedError(['3xx', '4xx', '5xx'].includes(result) ? result : 'error');
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map(({ pool }) => pool.close().catch(() => undefined)));
  }
}

function classify(err: unknown): AttemptResult {
  const e = err as { name?: string; code?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || /TIMEOUT/.test(e.code ?? '')) return 'timeout';
  if (e.code === 'ECONNREFUSED') return 'refused';
  return 'error';
}
