import type { SandboxProvider } from './providers';

/** Server-rendered pages of the sandbox's hosted connect flow (no external assets, everything escaped). */
export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f4f6fb;margin:0;color:#1c2333}
main{max-width:460px;margin:48px auto;background:#fff;border-radius:12px;box-shadow:0 4px 24px rgba(20,30,60,.12);padding:32px}
h1{font-size:1.35rem;margin:0 0 4px} p.sub{color:#5a6478;margin:0 0 24px}
label{display:block;font-weight:600;margin:16px 0 6px} input,select{width:100%;box-sizing:border-box;padding:10px;border:1px solid #c9d0de;border-radius:8px;font-size:1rem}
button{margin-top:24px;width:100%;padding:12px;border:0;border-radius:8px;background:#2f5bea;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
dl{display:grid;grid-template-columns:max-content 1fr;gap:8px 16px} dt{color:#5a6478} dd{margin:0;font-family:ui-monospace,monospace}
.badge{display:inline-block;background:#e6f4ea;color:#1e7b34;border-radius:999px;padding:4px 12px;font-weight:600}
.error{background:#fdecea;color:#a4231a;border-radius:8px;padding:12px}
footer{margin-top:24px;color:#8a93a6;font-size:.8rem;text-align:center}`;

export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}<footer>StackOne sandbox — a local simulator; credentials entered here are made up and stay on this machine.</footer></main></body></html>`;
}

export interface ConnectPageSession {
  token: string;
  origin_owner_name: string;
  provider?: string | null;
  account_id?: string | null;
  label?: string | null;
}

export function connectPage(session: ConnectPageSession, providers: SandboxProvider[]): string {
  const preselected = session.provider ? providers.find((p) => p.key === session.provider) : undefined;
  const picker = preselected
    ? `<input type="hidden" name="provider" value="${escapeHtml(preselected.key)}"><p>Provider: <strong data-testid="provider-name">${escapeHtml(preselected.name)}</strong></p>`
    : `<label for="provider">Provider</label><select id="provider" name="provider" data-testid="provider-select" required>${providers
        .map((p) => `<option value="${escapeHtml(p.key)}">${escapeHtml(p.name)} (${escapeHtml(p.category)})</option>`)
        .join('')}</select>`;
  const mode = session.account_id ? `Update the credentials of account ${escapeHtml(session.account_id)}` : 'Connect an integration';
  return layout(
    'Connect — StackOne sandbox',
    `<h1 data-testid="connect-title">${mode}</h1><p class="sub">for <strong>${escapeHtml(session.origin_owner_name)}</strong></p>
<form method="post" action="/connect" data-testid="connect-form">
<input type="hidden" name="token" value="${escapeHtml(session.token)}">
${picker}
<label for="username">Username</label><input id="username" name="username" autocomplete="off" data-testid="username" required>
<label for="api_key">API key</label><input id="api_key" name="api_key" type="password" autocomplete="off" data-testid="api-key" required>
<button type="submit" data-testid="connect-submit">Connect</button>
</form>`,
  );
}

export interface ConnectedAccount {
  id: string;
  provider: string;
  provider_name?: string | null;
  origin_owner_id: string;
  origin_owner_name: string;
  label?: string | null;
}

export function connectedPage(account: ConnectedAccount, action: 'created' | 'updated'): string {
  return layout(
    'Connected — StackOne sandbox',
    `<h1>Connected</h1><p class="sub"><span class="badge" data-testid="account-action">${action}</span></p>
<dl>
<dt>Account</dt><dd data-testid="account-id">${escapeHtml(account.id)}</dd>
<dt>Provider</dt><dd data-testid="account-provider">${escapeHtml(account.provider_name ?? account.provider)}</dd>
<dt>Owner</dt><dd data-testid="account-owner">${escapeHtml(account.origin_owner_name)} (${escapeHtml(account.origin_owner_id)})</dd>
${account.label ? `<dt>Label</dt><dd data-testid="account-label">${escapeHtml(account.label)}</dd>` : ''}
</dl><p>You can close this window.</p>`,
  );
}

export function errorPage(message: string): string {
  return layout('Cannot connect — StackOne sandbox', `<h1>Cannot connect</h1><p class="error" data-testid="connect-error">${escapeHtml(message)}</p>`);
}

export interface ConsentPage {
  token: string;
  attemptId: string;
  integrationId: string;
  providerName: string;
  ownerName: string;
}

/** The simulated OAuth consent screen the hub opens in a popup (a provider's "Allow access?" page). */
export function consentPage(c: ConsentPage): string {
  const hidden = (name: string, value: string): string => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return layout(
    `Authorize — ${c.providerName} (StackOne sandbox)`,
    `<h1 data-testid="consent-title">Allow StackOne to access ${escapeHtml(c.providerName)}?</h1>
<p class="sub">for <strong>${escapeHtml(c.ownerName)}</strong> — a simulated OAuth consent; no provider is contacted.</p>
<form method="post" action="/connect/oauth2/${encodeURIComponent(c.integrationId)}">
${hidden('token', c.token)}${hidden('connection_attempt_id', c.attemptId)}
<button type="submit" name="decision" value="allow" data-testid="consent-allow">Allow</button>
<button type="submit" name="decision" value="deny" data-testid="consent-deny" style="background:#5a6478">Deny</button>
</form>`,
  );
}

/** After the consent: says how it ended and closes the popup (the hub's poll sees the attempt's status). */
export function consentDonePage(outcome: string): string {
  return layout(
    'Authorization finished — StackOne sandbox',
    `<h1 data-testid="consent-outcome">${escapeHtml(outcome)}</h1><p>This window closes by itself; you can also close it.</p><script>setTimeout(function(){window.close()},300)</script>`,
  );
}
