import { randomBytes, randomUUID } from 'node:crypto';
import type { SandboxProvider } from './providers';
import type { SandboxAccount, SandboxSession } from './store';

/** The statuses a successful re-link (new credentials through a session) turns back into `active`. */
const RELINK_REPAIRS: ReadonlySet<string> = new Set(['active', 'error', 'expired']);

export interface CompletedSession {
  account: SandboxAccount;
  action: 'created' | 'updated';
}

function newAccountId(): string {
  // StackOne account ids are long numeric strings.
  return `${Date.now()}${Math.floor(Math.random() * 1e6).toString().padStart(6, '0')}`;
}

/**
 * StackOne's upsert rules when a connect session completes (the seed document's tables): a session
 * with account_id updates that account (same owner only); otherwise, unless `multiple`, the owner's
 * newest account of that provider is updated; else a new account is created.
 * `credentials` are what the user entered (hosted page, hub form) or what an OAuth consent gave; an
 * update keeps the account's credentials that are not given (the hub leaves an unchanged secret out).
 * Returns the account and what happened, or why nothing was done.
 */
export function completeSession(
  accounts: Map<string, SandboxAccount>,
  session: SandboxSession,
  provider: SandboxProvider,
  given: Record<string, string>,
): CompletedSession | string {
  const now = new Date().toISOString();
  const refresh = { refresh_token: `rt_${randomUUID()}` };
  const setupInformation = { subdomain: `${session.origin_owner_id}.example`, webhook_secret: `whsec_${randomBytes(12).toString('hex')}` };
  let target: SandboxAccount | undefined;
  if (session.account_id) {
    target = accounts.get(session.account_id);
    if (!target) return 'The account to update does not exist.';
    if (target.origin_owner_id !== session.origin_owner_id) return 'This account belongs to another owner; nothing was updated.';
  } else if (!session.multiple) {
    target = [...accounts.values()]
      .filter((a) => a.origin_owner_id === session.origin_owner_id && a.provider === provider.key)
      .sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at) || Number(b.id) - Number(a.id))[0];
  }
  if (target) {
    target.credentials = { ...target.credentials, ...given, ...refresh };
    target.setup_information = setupInformation;
    // New credentials repair what the customer can repair (error, expired), never what an operator
    // or StackOne paused (inactive, suspended, archived): those keep their status and reasons.
    if (RELINK_REPAIRS.has(target.status)) {
      target.status = 'active';
      target.status_reasons = [];
    }
    target.origin_owner_name = session.origin_owner_name;
    if (session.origin_username) target.origin_username = session.origin_username;
    if (session.label !== undefined) target.label = session.label;
    if (session.metadata !== undefined) target.metadata = session.metadata;
    if (session.type !== undefined) target.type = session.type;
    target.updated_at = now;
    session.completedAccountId = target.id;
    return { account: target, action: 'updated' };
  }
  const account: SandboxAccount = {
    id: newAccountId(),
    provider: provider.key,
    provider_name: provider.name,
    status: 'active',
    status_reasons: [],
    origin_owner_id: session.origin_owner_id,
    origin_owner_name: session.origin_owner_name,
    origin_username: session.origin_username ?? null,
    label: session.label ?? null,
    type: session.type ?? 'production',
    metadata: session.metadata ?? null,
    created_at: now,
    updated_at: now,
    credentials: { ...given, ...refresh },
    setup_information: setupInformation,
  };
  accounts.set(account.id, account);
  session.completedAccountId = account.id;
  return { account, action: 'created' };
}
