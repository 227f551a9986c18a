import { BadRequestException, Inject, Injectable, Logger, NotFoundException, UnauthorizedException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { AccountEvent } from '../account-events/account-event';
import { RetryLaterException } from '../common/problem.exception';
import type { AllConfig } from '../app.config';
import { EventBus, PublishOutcome } from '../event-bus/event-bus';
import { MetricsService } from '../observability/metrics.service';
import { AccountWebhookWire, isAccountWebhook, isAccountWebhookEvent, isStackOneWebhook } from '../stackone/stackone-webhook.types';
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

/** A delivery that passed the checks: signed, an account event, fresh. */
interface VerifiedDelivery {
  raw: Buffer;
  wire: AccountWebhookWire;
  /** How long its id is remembered: until it leaves the freshness window. */
  rememberForMs: number;
}

/**
 * StackOne's webhooks in: verify (signature over the raw bytes with any configured secret, shape,
 * freshness), de-duplicate (SHA-256 of the body, shared through Redis), publish the account event on
 * the bus, and answer 2xx, or 503 when a subscriber could not take it in. Every answer is counted in
 * stackone_webhooks_received_total; the secret and the signature are never logged.
 */
@Injectable()
export class StackOneWebhooksService {
  private readonly logger = new Logger('StackOneWebhooks');
  private readonly secrets: readonly string[];
  private readonly maxAgeMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(WEBHOOK_DELIVERY_STORE) private readonly deliveries: WebhookDeliveryStore,
    private readonly bus: EventBus,
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
    const now = Date.now();
    const verified = this.verify(delivery, now);
    if (typeof verified === 'string') return verified;
    const { wire } = verified;
    const id = createHash('sha256').update(verified.raw).digest('hex');
    if (!(await this.deliveries.firstSeen(id, verified.rememberForMs))) {
      this.logger.log(`StackOne webhook ${wire.event} for account ${wire.account_id}: duplicate delivery, already processed`);
      return this.count(wire.event, 'duplicate');
    }
    this.logger.log(`StackOne webhook ${wire.event} for account ${wire.account_id} (${wire.provider}) accepted`);
    if ((await this.publishWithin(toAccountEvent(wire, new Date(now)), ACK_WAIT_MS)) === 'deliver-again') {
      await this.forget(id, wire);
      this.logger.warn(`StackOne webhook ${wire.event} for account ${wire.account_id} answered 503: not taken in (session store or subscriber queue unreachable), StackOne's retry will be processed`);
      this.count(wire.event, 'unavailable');
      throw new WebhookNotTakenInError();
    }
    return this.count(wire.event, 'accepted');
  }

  /** The delivery to process, or the 2xx answer for one that is not processed; 401 / 400 when it cannot be trusted or read. */
  private verify(delivery: WebhookDelivery, now: number): VerifiedDelivery | 'ignored' | 'stale' {
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
    const fresh = freshness(body.sent_at, now, this.maxAgeMs);
    if (!fresh.fresh) {
      const why = fresh.reason === 'no-sent-at' ? 'it has no usable sent_at' : `its sent_at is outside the ${this.maxAgeMs / 1000} s window (${fresh.reason})`;
      this.logger.warn(`StackOne webhook ${event} for account ${body.account_id} ignored: ${why}`);
      return this.count(event, 'stale');
    }
    return { raw, wire: body, rememberForMs: fresh.rememberForMs };
  }

  /**
   * Not recorded as seen, so StackOne's retry is processed, not dropped as a duplicate; the
   * handlers tolerate the repeat (session completion by event key, the mirror by value, the relay by webhook-id).
   */
  private async forget(id: string, wire: AccountWebhookWire): Promise<void> {
    await this.deliveries.forget(id).catch((err: unknown) => this.logger.warn(`StackOne webhook ${wire.event} for account ${wire.account_id}: its delivery id could not be released (${err instanceof Error ? err.message : 'error'}); a retry inside the window reads as a duplicate`));
  }

  /** The bus's outcome; a publish still busy after `waitMs` is acknowledged anyway (its handlers go on). */
  private async publishWithin(event: AccountEvent, waitMs: number): Promise<PublishOutcome | 'late'> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), waitMs);
      timer.unref();
    });
    // The bus logs its handlers' failures; publish never rejects.
    const outcome = await Promise.race([this.bus.publish(event), waited]);
    clearTimeout(timer);
    if (outcome === 'late') this.logger.warn(`Subscribers still busy with ${event.type} for account ${event.accountId} after ${waitMs} ms; acknowledged anyway`);
    return outcome;
  }

  private count<T extends WebhookOutcome>(event: string, outcome: T): T {
    this.metrics.webhooksReceived.inc({ event, outcome });
    return outcome;
  }
}
