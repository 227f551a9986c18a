import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  webhookId: string;
  timestamp: string;
  signature: string;
  raw: string;
  /** The body as parsed after Webhook.verify accepted it; undefined when verification failed. */
  verified?: { type: string; timestamp: string; data: Record<string, unknown> };
  /** The request's path (a redirect followed would show another). */
  path: string;
  /** The status this server answered. */
  status: number;
  at: number;
  /** The W3C trace context the request carried, if any (tracing on). */
  traceparent?: string;
}

/** What the server answers to the next request: a status, or 'hang' (never answers). */
export type Answer = number | 'hang';

/** A fresh Standard Webhooks secret (whsec_ + 32 random bytes, base64). */
export const newWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * An internal service subscribed to the relay, on a free loopback port: records every request and
 * checks its signature with the standardwebhooks library (as a real subscriber would), answering
 * 204 unless told otherwise with `answer(...)` (one status per request, in order, then 204).
 */
export class TestSubscriber {
  readonly deliveries: ReceivedDelivery[] = [];
  private readonly answers: Answer[] = [];
  private readonly hanging = new Set<ServerResponse>();
  private always?: Answer;

  private constructor(
    private readonly server: Server,
    readonly secret: string,
    readonly url: string,
  ) {}

  static async start(secret = newWebhookSecret()): Promise<TestSubscriber> {
    const ref: { self?: TestSubscriber } = {};
    const server = createServer((req, res) => void ref.self?.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    ref.self = new TestSubscriber(server, secret, `http://127.0.0.1:${port}/hooks/events`);
    return ref.self;
  }

  /** The next requests' answers, in order. */
  answer(...answers: Answer[]): void {
    this.answers.push(...answers);
  }

  /** Every request's answer from now on (undefined: back to 204 and the scripted list). */
  answerAlways(answer: Answer | undefined): void {
    this.always = answer;
  }

  /** Deliveries answered 2xx. */
  delivered(): ReceivedDelivery[] {
    return this.deliveries.filter((d) => d.status >= 200 && d.status < 300);
  }

  async waitFor(count: number, what: (d: ReceivedDelivery) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedDelivery[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.deliveries.filter(what);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`expected ${count} deliveries within ${timeoutMs} ms, got ${found.length}: ${JSON.stringify(this.deliveries.map((d) => [d.webhookId, d.status]))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = (name: string): string => String(req.headers[name] ?? '');
    let verified: ReceivedDelivery['verified'];
    try {
      verified = new Webhook(this.secret).verify(raw, {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      }) as ReceivedDelivery['verified'];
    } catch {
      verified = undefined;
    }
    const answer = this.always ?? this.answers.shift() ?? 204;
    const status = answer === 'hang' ? 0 : answer;
    this.deliveries.push({
      webhookId: header('webhook-id'),
      timestamp: header('webhook-timestamp'),
      signature: header('webhook-signature'),
      raw,
      verified,
      path: req.url ?? '',
      status,
      at: Date.now(),
      traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
    });
    if (answer === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (status >= 300 && status < 400) res.setHeader('location', `${this.url}/elsewhere`);
    res.writeHead(status, { 'content-type': 'text/plain' });
    // A large answer: the relay must not read it.
    res.end(status >= 400 ? 'x'.repeat(200_000) : '');
  }
}
