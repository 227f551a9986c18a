/**
 * Account statuses as StackOne changes them, driven by the control API: one account's status and
 * reasons (POST | DELETE /__sandbox/accounts/{id}/status) and a provider outage breaking every
 * account of one provider (POST | DELETE /__sandbox/faults/provider-outage). A change bumps
 * updated_at and, unless `webhook: false` (a lost webhook), sends the signed account.updated as
 * StackOne does; StackOne's payload never says the status, so neither does the sandbox's.
 */
import type { ProviderOutage } from './faults';
import type { SandboxAccount, SandboxAccountStatus, SandboxContext, SandboxStatusReason } from './store';

/** Any lower-case word: StackOne's status enum is open, and a test may need a value it adds later. */
const STATUS_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
const MAX_REASONS = 10;
const CODE_MAX = 100;
const DESCRIPTION_MAX = 500;

export interface StatusChange {
  status: SandboxAccountStatus;
  reasons: SandboxStatusReason[];
  webhook: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A control body `{ status?, reasons?, webhook? }` → the change, or what is wrong with it (one message).
 * `fixed`: the status is not the body's to choose (a reset: `active`, no reasons); `fallbackStatus`: when none is sent.
 */
export function parseStatusChange(
  body: unknown,
  options: { fixed?: SandboxAccountStatus; fallbackStatus?: SandboxAccountStatus; extraKeys?: readonly string[] } = {},
  now: Date = new Date(),
): StatusChange | string {
  const input = body === undefined || body === null ? {} : body;
  if (!isObject(input)) return 'the body must be a JSON object';
  const allowed = options.fixed !== undefined ? ['webhook'] : ['status', 'reasons', 'webhook'];
  const unknown = Object.keys(input).find((k) => !allowed.includes(k) && !(options.extraKeys ?? []).includes(k));
  if (unknown !== undefined) return `unknown field ${unknown} (allowed: ${[...allowed, ...(options.extraKeys ?? [])].join(', ')})`;

  const status = options.fixed ?? input.status ?? options.fallbackStatus;
  if (typeof status !== 'string' || !STATUS_PATTERN.test(status)) {
    return 'status must be a lower-case word: active, inactive, suspended, archived, expired, error, or one StackOne may add';
  }
  if (input.webhook !== undefined && typeof input.webhook !== 'boolean') return 'webhook must be true or false';

  const rawReasons = input.reasons ?? [];
  if (!Array.isArray(rawReasons) || rawReasons.length > MAX_REASONS) return `reasons must be an array of at most ${MAX_REASONS}`;
  const reasons: SandboxStatusReason[] = [];
  for (const r of rawReasons) {
    if (!isObject(r) || Object.keys(r).some((k) => !['code', 'description', 'timestamp'].includes(k))) {
      return 'each reason is { code?, description?, timestamp? }';
    }
    if (r.code !== undefined && (typeof r.code !== 'string' || r.code.length === 0 || r.code.length > CODE_MAX)) return `a reason's code must be 1-${CODE_MAX} characters`;
    if (r.description !== undefined && (typeof r.description !== 'string' || r.description.length === 0 || r.description.length > DESCRIPTION_MAX)) {
      return `a reason's description must be 1-${DESCRIPTION_MAX} characters`;
    }
    if (r.code === undefined && r.description === undefined) return 'each reason needs a code or a description';
    const at = r.timestamp === undefined ? now.getTime() : typeof r.timestamp === 'string' ? Date.parse(r.timestamp) : Number.NaN;
    if (Number.isNaN(at)) return "a reason's timestamp must be an ISO date-time";
    reasons.push({ ...(r.code !== undefined ? { code: r.code } : {}), ...(r.description !== undefined ? { description: r.description } : {}), timestamp: new Date(at).toISOString() });
  }
  return { status, reasons, webhook: input.webhook !== false };
}

const sameReasons = (a: SandboxStatusReason[], b: SandboxStatusReason[]): boolean =>
  a.length === b.length && a.every((r, i) => r.code === b[i].code && r.description === b[i].description);

/**
 * Gives `account` the status and reasons; false (nothing touched) when it already had them, as
 * StackOne sends no account.updated when nothing changed.
 */
export function applyStatus(account: SandboxAccount, status: SandboxAccountStatus, reasons: SandboxStatusReason[], now: Date = new Date()): boolean {
  if (account.status === status && sameReasons(account.status_reasons, reasons)) return false;
  account.status = status;
  account.status_reasons = reasons.map((r) => ({ ...r }));
  account.updated_at = now.toISOString();
  return true;
}

/** Sends account.updated for each changed account (at once: each waits for its delivery at most ANSWER_WAIT_MS). */
export async function announce(ctx: SandboxContext, accounts: SandboxAccount[], webhook: boolean): Promise<void> {
  if (!webhook) return;
  await Promise.all(accounts.map((a) => ctx.webhooks.emit('account.updated', a)));
}

/** Breaks every account of `provider` with `change`, remembering what each had; the ids changed. */
export function startOutage(ctx: SandboxContext, provider: string, change: StatusChange, now: Date = new Date()): { outage: ProviderOutage; changed: SandboxAccount[] } {
  const outage: ProviderOutage = { provider, status: change.status, reasons: change.reasons, startedAt: now.toISOString(), before: new Map() };
  const changed: SandboxAccount[] = [];
  for (const account of ctx.state.accounts.values()) {
    if (account.provider !== provider) continue;
    const before = { status: account.status, status_reasons: account.status_reasons };
    if (applyStatus(account, change.status, change.reasons, now)) {
      outage.before.set(account.id, before);
      changed.push(account);
    }
  }
  ctx.state.outages.set(provider, outage);
  return { outage, changed };
}

/**
 * Ends the outage: each account it changed that still has the outage's status and reasons gets back
 * what it had before (active, for most). One re-linked, changed again or deleted since is left alone.
 */
export function endOutage(ctx: SandboxContext, outage: ProviderOutage, now: Date = new Date()): SandboxAccount[] {
  ctx.state.outages.delete(outage.provider);
  const restored: SandboxAccount[] = [];
  for (const [id, before] of outage.before) {
    const account = ctx.state.accounts.get(id);
    if (!account || account.status !== outage.status || !sameReasons(account.status_reasons, outage.reasons)) continue;
    if (applyStatus(account, before.status, before.status_reasons, now)) restored.push(account);
  }
  return restored;
}
