import { Injectable, Logger } from '@nestjs/common';
import { AccountEvent } from './account-event';

export type AccountEventHandler = (event: AccountEvent) => Promise<void>;

/**
 * Thrown by a handler that could not take an event in and needs its source to deliver it again
 * (the relay could not queue it): publish then reports `redeliver`, and the webhook answers 503.
 */
export class RedeliveryNeededError extends Error {
  override readonly name: string = 'RedeliveryNeededError';
}

export interface PublishOutcome {
  /** A handler threw RedeliveryNeededError: the source should deliver the event again. */
  redeliver: boolean;
}

/**
 * In-process fan-out of account events to their subscribers (session status, the event feed, which
 * also queues the relay to internal subscribers, and the account mirror). Each handler runs in turn; one
 * failing is logged and does not stop the others. Handlers must be idempotent: an event may be
 * delivered again (StackOne retries, replicas).
 */
@Injectable()
export class AccountEvents {
  private readonly logger = new Logger('AccountEvents');
  private readonly handlers: Array<{ name: string; handle: AccountEventHandler }> = [];

  subscribe(name: string, handle: AccountEventHandler): void {
    this.handlers.push({ name, handle });
  }

  async publish(event: AccountEvent): Promise<PublishOutcome> {
    let redeliver = false;
    for (const { name, handle } of this.handlers) {
      try {
        await handle(event);
      } catch (err) {
        if (err instanceof RedeliveryNeededError) redeliver = true;
        this.logger.warn(`${name} failed on ${event.type} for account ${event.accountId}: ${err instanceof Error ? err.name : typeof err}`);
      }
    }
    return { redeliver };
  }
}
