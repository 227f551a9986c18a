import { BadRequestException, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { AccountEvents } from '../account-events/account-events.service';
import { RetryLaterException } from '../common/problem.exception';
import type { AllConfig } from '../app.config';
import { MetricsService } from '../observability/metrics.service';
import { isAccountWebhook, isAccountWebhookEvent, isStackOneWebhook } from '../stackone/stackone-webhook.types';
import { freshness, toAccountEvent } from './webhook.mapping';
import { verifyWebhookSignature } from './webhook-signature';
import { WEBHOOK_DELIVERY_STORE, type WebhookDeliveryStore } from './webhook-delivery.store';

/** What became of a delivery that was answered 2xx. */
export type WebhookAck = 'accepted' | 'duplicate' | 'ignored' | 'stale';
export type WebhookOutcome = WebhookAck | 'invalid-signature' | 'invalid-body' | 'unavailable';

/** 503 + Retry-After: the event could not be taken in (session store or subscriber queue unreachable); StackOne's retry is processed afresh. */
class WebhookNotTakenInError extends RetryLaterException {
  constructor() {
    super('The event could not be taken in right now (its store or queue is unreachable); deliver it again after Retry-After seconds.');
  }
}

/**
 * Longest wait for the subscribers before the delivery is acknowledged anyway (they go on in the
 * background): StackOne gets a prompt answer even when a subscriber's store is slow.
 */
const ACK_WAIT_MS = 2_000;

export interface WebhookDelivery {
  /** The exact bytes received (undefined: no body). */
  rawBody: Buffer | undefined;
  signature: string | string[] | undefined;
  /** The body as the JSON parser read it. */
  body: unknown;
}

/**
 * StackOne's webhooks in: verified over the raw bytes (any configured secret), then read, checked
 * for freshness (sent_at within the window) and de-duplicated (SHA-256 of the body, shared through
 * Redis) before the account event is published on the AccountEvents bus. Every answer is counted
 * in stackone_webhooks_received_total; the secret and the signature are never logged.
 */
@Injectable()
export class StackOneWebhooksService {
  private readonly logger = new Logger('StackOneWebhooks');
  private readonly secrets: readonly string[];
  private readonly maxAgeMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(WEBHOOK_DELIVERY_STORE) private readonly deliveries: WebhookDeliveryStore,
    private readonly events: AccountEvents,
    private readonly metrics: MetricsService,
  ) {
    const { secrets, maxAgeSeconds } = config.get('webhooks', { infer: true });
    this.secrets = secrets;
    this.maxAgeMs = maxAgeSeconds * 1000;
  }

  enabled(): boolean {
    return this.secrets.length > 0;
  }

  async receive(delivery: WebhookDelivery): Promise<WebhookAck> {
    // Never "accept unsigned": without a secret the endpoint does not exist.
    if (!this.enabled()) throw new NotFoundException('StackOne webhooks are not enabled on this service.');
    const raw = delivery.rawBody ?? Buffer.alloc(0);
    if (!verifyWebhookSignature(raw, delivery.signature, this.secrets)) {
      this.count('unknown', 'invalid-signature');
      throw new UnauthorizedException('The x-stackone-signature header is missing or does not match the body.');
    }
    const body = delivery.body;
    if (!isStackOneWebhook(body)) {
      this.count('unknown', 'invalid-body');
      throw new BadRequestException('The body is not a StackOne webhook (a JSON object with an "event").');
    }
    if (!isAccountWebhookEvent(body.event)) {
      this.logger.debug(`StackOne webhook ${body.event.slice(0, 64)} ignored: not an account event`);
      return this.count('other', 'ignored');
    }
    const event = body.event;
    if (!isAccountWebhook(body)) {
      this.count(event, 'invalid-body');
      throw new BadRequestException(`The ${event} webhook lacks account_id, provider or origin_owner_id, or has a field of the wrong type.`);
    }
    const now = Date.now();
    const fresh = freshness(body.sent_at, now, this.maxAgeMs);
    if (!fresh.fresh) {
      const why = fresh.reason === 'no-sent-at' ? 'it has no usable sent_at' : `its sent_at is outside the ${this.maxAgeMs / 1000} s window (${fresh.reason})`;
      this.logger.warn(`StackOne webhook ${event} for account ${body.account_id} ignored: ${why}`);
      return this.count(event, 'stale');
    }
    const id = createHash('sha256').update(raw).digest('hex');
    if (!(await this.deliveries.firstSeen(id, fresh.rememberForMs))) {
      this.logger.log(`StackOne webhook ${event} for account ${body.account_id}: duplicate delivery, already processed`);
      return this.count(event, 'duplicate');
    }
    this.logger.log(`StackOne webhook ${event} for account ${body.account_id} (${body.provider}) accepted`);
    if ((await this.publishWithin(toAccountEvent(body, new Date(now)), ACK_WAIT_MS)) === 'redeliver') {
      // Not recorded as seen, so StackOne's retry is processed, not dropped as a duplicate; the
      // handlers tolerate the repeat (session completion by event key, the mirror by value, the relay by webhook-id).
      await this.deliveries.forget(id).catch((err: unknown) => this.logger.warn(`StackOne webhook ${event} for account ${body.account_id}: its delivery id could not be released (${err instanceof Error ? err.message : 'error'}); a retry inside the window reads as a duplicate`));
      this.logger.warn(`StackOne webhook ${event} for account ${body.account_id} answered 503: not taken in (session store or subscriber queue unreachable), StackOne's retry will be processed`);
      this.count(event, 'unavailable');
      throw new WebhookNotTakenInError();
    }
    return this.count(event, 'accepted');
  }

  /** 'redeliver' when a subscriber of the bus could not take the event in; 'late' events are acknowledged anyway. */
  private async publishWithin(event: ReturnType<typeof toAccountEvent>, waitMs: number): Promise<'done' | 'late' | 'redeliver'> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
      timer.unref();
    });
    // The bus logs and swallows its subscribers' failures; publish never rejects.
    const outcome = await Promise.race([this.events.publish(event), waited]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.logger.warn(`Subscribers still busy with ${event.type} for account ${event.accountId} after ${waitMs} ms; acknowledged anyway`);
      return 'late';
    }
    return outcome.redeliver ? 'redeliver' : 'done';
  }

  private count<T extends WebhookOutcome>(event: string, outcome: T): T {
    this.metrics.webhooksReceived.inc({ event, outcome });
    return outcome;
  }
}
