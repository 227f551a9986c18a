import { createHmac, randomUUID } from 'node:crypto';

/** StackOne's webhook signature (base64url HMAC-SHA256 of the raw body), written out independently of the service's code. */
export const signStackOneWebhook = (secret: string, raw: string): string => createHmac('sha256', secret).update(raw).digest('base64url');

/** A StackOne account webhook body, fresh (sent now), for `tenant`. */
export function accountWebhook(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    event: 'account.created',
    account_id: `acc_${randomUUID()}`,
    provider: 'hibob',
    origin_owner_id: 'org_acme',
    origin_owner_name: 'Acme Inc',
    origin_username: 'jane@acme.example',
    project_id: 'proj_e2e',
    event_date: now,
    sent_at: now,
    ...over,
  };
}

/** POSTs a signed StackOne webhook to a running service. */
export function postStackOneWebhook(base: string, secret: string, body: Record<string, unknown>): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(`${base}/webhooks/stackone`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-stackone-signature': signStackOneWebhook(secret, raw) }, body: raw });
}
