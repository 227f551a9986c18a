/**
 * The sandbox's webhooks out: like StackOne, it signs account events (base64url HMAC-SHA256 of the
 * body with the endpoint's secret, in x-stackone-signature) and POSTs them to one URL. Deliveries
 * are bounded (DELIVERY_TIMEOUT_MS), never retried, and recorded for GET /__sandbox/webhooks.
 * Webhook faults (FaultSpec.webhook) deliver twice, late, with an old sent_at or a wrong signature.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackOneWebhookWire } from '../src/stackone/stackone-webhook.types';
import { takeWebhookFault, WebhookFault } from './faults';
import type { SandboxAccount, SandboxState } from './store';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export type AccountEventName = 'account.created' | 'account.updated' | 'account.deleted';

/** One POST the sandbox made (or tried to). */
export interface WebhookDelivery {
  event: AccountEventName;
  accountId: string;
  sentAt: string;
  /** The service's HTTP status, or undefined when the POST failed (see error). */
  status?: number;
  error?: string;
  fault?: WebhookFault;
}

export const DELIVERY_TIMEOUT_MS = 5_000;
/** How long a page or API answer waits for its event's delivery before answering anyway. */
export const ANSWER_WAIT_MS = 1_000;

export const SANDBOX_PROJECT_ID = 'sandbox-project';

export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private target: WebhookTarget | undefined,
    private readonly state: SandboxState,
    private readonly log: (line: string) => void,
  ) {}

  /** Sends `event` for `account` (when a target is configured); resolves once delivered or after ANSWER_WAIT_MS. */
  async emit(event: AccountEventName, account: SandboxAccount): Promise<void> {
    if (!this.target) return;
    const delivery = this.deliver(this.target, event, account);
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
    await Promise.race([delivery, sleep(ANSWER_WAIT_MS, undefined, { ref: false })]);
  }

  /** Whether events are sent at all (a webhook URL is configured). */
  get configured(): boolean {
    return this.target !== undefined;
  }

  /** Where later events go (undefined: none are sent); deliveries already started keep theirs. */
  retarget(target: WebhookTarget | undefined): void {
    this.target = target;
  }

  /** Resolves when every delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(target: WebhookTarget, event: AccountEventName, account: SandboxAccount): Promise<void> {
    const fault = takeWebhookFault(this.state.faults, event);
    if (fault?.delayMs) await sleep(fault.delayMs);
    const now = Date.now();
    const payload: StackOneWebhookWire = {
      event,
      account_id: account.id,
      provider: account.provider,
      origin_owner_id: account.origin_owner_id,
      origin_owner_name: account.origin_owner_name,
      origin_username: account.origin_username,
      project_id: SANDBOX_PROJECT_ID,
      record_type: 'account',
      record_id: account.id,
      event_date: new Date(now).toISOString(),
      sent_at: new Date(now - (fault?.sentAtAgeSeconds ?? 0) * 1000).toISOString(),
    };
    const body = JSON.stringify(payload);
    const secret = fault?.wrongSignature ? `${target.secret}-not` : target.secret;
    const signature = createHmac('sha256', secret).update(body).digest('base64url');
    for (let copy = 0; copy < (fault?.duplicate ? 2 : 1); copy++) {
      const record: WebhookDelivery = { event, accountId: account.id, sentAt: payload.sent_at as string, ...(fault ? { fault } : {}) };
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-stackone-signature': signature },
          body,
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        record.status = res.status;
        await res.body?.cancel();
        if (res.status >= 300) this.log(`webhook ${event} for account ${account.id}: ${target.url} answered ${res.status}`);
      } catch (err) {
        record.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        this.log(`webhook ${event} for account ${account.id}: POST ${target.url} failed (${record.error})`);
      }
      this.state.webhooks.push(record);
    }
  }
}
