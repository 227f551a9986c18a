import { Injectable, Logger } from '@nestjs/common';
import { AccountEvent } from './account-event';

export type AccountEventHandler = (event: AccountEvent) => Promise<void>;

/**
 * In-process fan-out of account events to the features that keep state about them (session
 * status, the account mirror, later the relay to subscribers). Each handler runs in turn; one
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

  async publish(event: AccountEvent): Promise<void> {
    for (const { name, handle } of this.handlers) {
      try {
        await handle(event);
      } catch (err) {
        this.logger.warn(`${name} failed on ${event.type} for account ${event.accountId}: ${err instanceof Error ? err.name : typeof err}`);
      }
    }
  }
}
