/** Completes a connect session the way a browser submits the sandbox's hosted form. */
export interface Completion {
  status: number;
  html: string;
  accountId?: string;
  action?: string;
}

export async function completeSession(authLinkUrl: string, form: { provider?: string; username?: string; apiKey?: string } = {}): Promise<Completion> {
  const page = await fetch(authLinkUrl);
  const html = await page.text();
  if (page.status !== 200) return { status: page.status, html };
  const token = /name="token" value="([^"]+)"/.exec(html)?.[1];
  const preselected = /name="provider" value="([^"]+)"/.exec(html)?.[1];
  const action = new URL(/<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '/connect', authLinkUrl);
  const body = new URLSearchParams({
    token: decodeHtml(token ?? ''),
    provider: form.provider ?? preselected ?? '',
    username: form.username ?? 'jane.admin',
    api_key: form.apiKey ?? 'made-up-provider-secret-123',
  });
  const res = await fetch(action, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  const out = await res.text();
  return {
    status: res.status,
    html: out,
    accountId: /data-testid="account-id">([^<]+)</.exec(out)?.[1],
    action: /data-testid="account-action">([^<]+)</.exec(out)?.[1],
  };
}

function decodeHtml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
