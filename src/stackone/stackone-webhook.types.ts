/**
 * StackOne's webhook payload (snake_case), as its dashboard's webhook endpoints send it (fields as
 * in StackOneHQ/examples, apps/rag-knowledge-agent). Other event families carry more fields; the
 * service reads only these. The sandbox sends the same shape.
 */
const ACCOUNT_WEBHOOK_EVENTS = ['account.created', 'account.updated', 'account.deleted'] as const;
export type AccountWebhookEvent = (typeof ACCOUNT_WEBHOOK_EVENTS)[number];

export interface StackOneWebhookWire {
  event: string;
  account_id?: string;
  provider?: string;
  origin_owner_id?: string;
  origin_owner_name?: string | null;
  origin_username?: string | null;
  project_id?: string | null;
  /** `account` for account events; record_id is then the account id. Not read by the service. */
  record_type?: string;
  record_id?: string;
  /** When it happened at StackOne, ISO 8601. */
  event_date?: string;
  /** When this delivery was sent, ISO 8601: the replay window is measured from it. */
  sent_at?: string;
}

/** One account event as StackOne sends it: the API docs' example body. */
export const ACCOUNT_WEBHOOK_EXAMPLE: AccountWebhookWire = {
  event: 'account.created',
  account_id: '46132201',
  provider: 'hibob',
  origin_owner_id: 'org_acme',
  origin_owner_name: 'Acme Inc',
  origin_username: 'jane@acme.example',
  project_id: 'proj_1',
  event_date: '2026-11-25T10:00:00.000Z',
  sent_at: '2026-11-25T10:00:01.000Z',
};

/** An account event with what the service needs to act on it. */
export type AccountWebhookWire = StackOneWebhookWire & {
  event: AccountWebhookEvent;
  account_id: string;
  provider: string;
  origin_owner_id: string;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isOptionalText = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';

/** Any webhook: an object whose `event` is a non-empty string (its other fields are checked per family). */
export function isStackOneWebhook(v: unknown): v is StackOneWebhookWire {
  return isObject(v) && isText(v.event);
}

export function isAccountWebhookEvent(event: string): event is AccountWebhookEvent {
  return (ACCOUNT_WEBHOOK_EVENTS as readonly string[]).includes(event);
}

/** An account event the service can use: ids present, optional fields of the right type. */
export function isAccountWebhook(v: StackOneWebhookWire): v is AccountWebhookWire {
  const w = v as unknown as Record<string, unknown>;
  return (
    isAccountWebhookEvent(v.event) &&
    isText(w.account_id) &&
    isText(w.provider) &&
    isText(w.origin_owner_id) &&
    ['origin_owner_name', 'origin_username', 'project_id', 'event_date', 'sent_at'].every((k) => isOptionalText(w[k]))
  );
}
