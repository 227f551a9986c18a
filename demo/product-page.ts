/**
 * The demo's example product page: what a customer of this service builds. Its own origin (not the
 * service's, not StackOne's), a "Connect your HR system" button, and a tiny backend that calls this
 * service with the tenant's credentials server-side (the browser only ever sees the connect
 * session's token, which is meant for it). The page mounts StackOne's real <stackone-hub> from the
 * installed @stackone/hub bundle, served from here (no CDN), pointed at the sandbox; on `success`
 * it shows the session's status (lifecycle API) and the tenant's accounts with their health; a
 * broken account's "Reconnect" opens the hub in edit mode for it (a re-link session).
 */
import Fastify, { FastifyInstance, FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

export interface ProductPageOptions {
  host: string;
  port: number;
  /** This service's base URL. */
  serviceUrl: string;
  /** The tenant's bearer token; used server-side only. */
  bearer: string;
  /** What <stackone-hub base-url> points at: StackOne's API, here the sandbox. */
  hubBaseUrl: string;
  tenantName: string;
  /**
   * The Standard Webhooks secret (whsec_…) of the service's subscriber at EVENTS_PATH: the page's
   * backend plays "your internal service" too, verifying each relayed event and listing it on the page.
   */
  eventsSecret: string;
}

/** Where the service relays events to (EVENT_SUBSCRIBERS), on the page's own origin. */
export const EVENTS_PATH = '/internal/stackone-events';
/** The newest relayed events kept for the page. */
const EVENTS_KEPT = 50;

/** A relayed event as the page lists it: ids and labels only, as the service sends them. */
interface ReceivedEvent {
  webhookId: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** How often the open page reads the accounts and events again (an account can break meanwhile). */
const PAGE_REFRESH_MS = 3_000;

/** Every call to the service is bounded; past it the page's backend answers 504. */
export const SERVICE_TIMEOUT_MS = 5_000;

/** The hub's self-contained web-component bundle (React, its styles and fonts inlined). */
export function hubBundle(): Buffer {
  let path: string;
  try {
    path = require.resolve('@stackone/hub/webcomponent');
  } catch {
    throw new Error('@stackone/hub is not installed (it is a devDependency: run npm ci without --omit=dev)');
  }
  return readFileSync(path);
}

export async function startProductPage(opts: ProductPageOptions): Promise<{ url: string; close: () => Promise<void> }> {
  const bundle = hubBundle();
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16_384 });

  /** Calls the service as the tenant and relays its status and JSON (problem+json included). */
  const relay = async (reply: FastifyReply, path: string, init: RequestInit = {}): Promise<FastifyReply> => {
    let res: Response;
    try {
      res = await fetch(`${opts.serviceUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${opts.bearer}`, 'content-type': 'application/json' },
        signal: AbortSignal.timeout(SERVICE_TIMEOUT_MS),
      });
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      return reply
        .code(timedOut ? 504 : 502)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: timedOut ? 'The service did not answer in time' : 'The service is unreachable', status: timedOut ? 504 : 502 });
    }
    return reply
      .code(res.status)
      .type(res.headers.get('content-type') ?? 'application/json')
      .send(await res.text());
  };

  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(opts.tenantName)));
  app.get('/vendor/stackone-hub.js', async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(bundle));
  app.get('/favicon.ico', async (_request, reply) => reply.code(204).send());

  // Only these fields go to the service: the page cannot ask for another owner or anything else.
  app.post('/api/sessions', async (request, reply) => {
    const body = (request.body ?? {}) as { provider?: unknown; accountId?: unknown; categories?: unknown };
    const forwarded = {
      ...(typeof body.provider === 'string' ? { provider: body.provider } : {}),
      ...(typeof body.accountId === 'string' ? { accountId: body.accountId } : {}),
      ...(Array.isArray(body.categories) ? { categories: body.categories } : {}),
    };
    return relay(reply, '/v1/connect-sessions', { method: 'POST', body: JSON.stringify(forwarded) });
  });
  app.get('/api/sessions/:id', async (request, reply) => relay(reply, `/v1/connect-sessions/${encodeURIComponent((request.params as { id: string }).id)}`));
  app.get('/api/accounts', async (_request, reply) => relay(reply, '/v1/accounts'));
  app.get('/api/config', () => ({ hubBaseUrl: opts.hubBaseUrl }));

  // "Your internal service": what an EVENT_SUBSCRIBERS entry does with a delivery. Verified over the
  // exact bytes with a Standard Webhooks library, de-duplicated on webhook-id, answered 204.
  const received: ReceivedEvent[] = [];
  const verifier = new Webhook(opts.eventsSecret);
  await app.register((scope, _options, done) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, parsed) => parsed(null, body));
    scope.post(EVENTS_PATH, async (request, reply) => {
      const header = (name: string): string => String(request.headers[name] ?? '');
      let event: Omit<ReceivedEvent, 'webhookId'>;
      try {
        event = verifier.verify(typeof request.body === 'string' ? request.body : '', {
          'webhook-id': header('webhook-id'),
          'webhook-timestamp': header('webhook-timestamp'),
          'webhook-signature': header('webhook-signature'),
        }) as Omit<ReceivedEvent, 'webhookId'>;
      } catch {
        return reply.code(401).send();
      }
      const webhookId = header('webhook-id');
      if (!received.some((e) => e.webhookId === webhookId)) {
        received.unshift({ webhookId, type: event.type, timestamp: event.timestamp, data: event.data });
        received.length = Math.min(received.length, EVENTS_KEPT);
      }
      return reply.code(204).send();
    });
    done();
  });
  app.get('/api/internal-events', () => ({ data: received }));

  const address = await app.listen({ host: opts.host, port: opts.port });
  return { url: address.replace('[::1]', '127.0.0.1'), close: () => app.close() };
}

const STYLE = `
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1c2333}
header{background:#14213d;color:#fff;padding:14px 32px;display:flex;justify-content:space-between;align-items:center}
header strong{font-size:1.1rem} main{max-width:980px;margin:32px auto;padding:0 24px;display:grid;grid-template-columns:1fr 1fr;gap:24px}
section{background:#fff;border-radius:12px;box-shadow:0 2px 12px rgba(20,30,60,.08);padding:24px}
section.wide{grid-column:1/3} h1{font-size:1.4rem;margin:0 0 8px} h2{font-size:1.05rem;margin:0 0 12px}
p{color:#5a6478} button{padding:10px 18px;border:0;border-radius:8px;background:#fca311;color:#14213d;font-weight:700;cursor:pointer;font-size:1rem}
button.small{padding:4px 10px;font-size:.85rem;background:#e5e5e5}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 14px;margin:0} dt{color:#5a6478} dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
table{width:100%;border-collapse:collapse} td,th{text-align:left;padding:6px 4px;border-bottom:1px solid #eee;font-size:.9rem}
.badge{border-radius:999px;padding:2px 10px;font-weight:600;background:#eef} .completed{background:#e6f4ea;color:#1e7b34} .pending{background:#fff4d6}
.error{color:#a4231a} #hub-host:empty{display:none}
.healthy{background:#e6f4ea;color:#1e7b34} .broken{background:#fde7e5;color:#a4231a} .paused{background:#eee;color:#5a6478} .unknown{background:#fff4d6}
.reasons{font-size:.8rem;color:#a4231a;margin-top:4px} button.reconnect{padding:4px 10px;font-size:.85rem}`;

/** The page: all dynamic text goes in with textContent (never innerHTML). */
function page(tenantName: string): string {
  const tenant = tenantName.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Acme People Analytics — integrations</title><style>${STYLE}</style></head><body>
<header><strong>People Analytics</strong><span>${tenant} · example product page (demo)</span></header>
<main>
<section class="wide"><h1>Bring in your people data</h1>
<p>Connect the HR system your company uses; StackOne's hub asks for the credentials. Everything here runs locally against the StackOne sandbox.</p>
<button id="connect" data-testid="connect-hr">Connect your HR system</button> <span id="page-error" class="error" data-testid="page-error"></span>
<div id="hub-host" data-testid="hub-host" style="margin-top:20px"></div></section>
<section><h2>This connection</h2><div id="session" data-testid="session"><p>Not started.</p></div></section>
<section><h2>Connected accounts</h2><div id="accounts" data-testid="accounts"><p>Loading…</p></div>
<p>Health follows StackOne's status; a broken account needs its customer to reconnect it.</p></section>
<section class="wide"><h2>What your internal services were told</h2>
<p>The service relays account and session events to its subscribers, signed (Standard Webhooks). This page's backend is one: it verifies each delivery and lists it here.</p>
<div id="events" data-testid="events"><p>Nothing yet.</p></div></section>
</main>
<script src="/vendor/stackone-hub.js"></script>
<script>
(function () {
  var params = new URLSearchParams(location.search);
  var provider = params.get('provider');
  var connect = document.getElementById('connect');
  if (provider) connect.textContent = 'Connect ' + provider;
  var hubBaseUrl = null;
  var REFRESH_MS = ${PAGE_REFRESH_MS};

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function pageError(message) { document.getElementById('page-error').textContent = message || ''; }
  async function json(res) { var body = await res.json().catch(function () { return {}; }); if (!res.ok) throw new Error(body.detail || body.title || ('HTTP ' + res.status)); return body; }

  /** What was last drawn, so a refresh that finds nothing new leaves the DOM (and a button under the pointer) alone. */
  var drawn = { accounts: null, events: null };

  function healthCell(a) {
    var health = a.health || { state: 'unknown', reasons: [] };
    var cell = el('td');
    cell.appendChild(el('span', health.state, { class: 'badge ' + health.state, 'data-testid': 'account-health', 'data-state': health.state }));
    if (health.state === 'broken' && health.reasons && health.reasons.length) {
      var text = health.reasons.map(function (r) { return [r.code, r.description].filter(Boolean).join(': '); }).join('; ');
      cell.appendChild(el('div', text, { class: 'reasons', 'data-testid': 'account-reasons' }));
    }
    return cell;
  }

  /** Draws the accounts; returns them. */
  async function loadAccounts() {
    var box = document.getElementById('accounts');
    var list = await json(await fetch('/api/accounts'));
    var key = JSON.stringify(list.data);
    if (key === drawn.accounts) return list.data;
    drawn.accounts = key;
    if (!list.data.length) { box.replaceChildren(el('p', 'No account connected yet.')); return list.data; }
    var table = el('table');
    table.appendChild(el('tr')).append(el('th', 'Provider'), el('th', 'Account'), el('th', 'Status'), el('th', 'Health'), el('th', ''));
    list.data.forEach(function (a) {
      var broken = a.health && a.health.state === 'broken';
      // Both open the hub in edit mode for this account (a re-link session); for a broken one it is the repair.
      var edit = broken
        ? el('button', 'Reconnect', { class: 'reconnect', 'data-testid': 'reconnect-account', 'data-account-id': a.id })
        : el('button', 'Update credentials', { class: 'small', 'data-testid': 'edit-account', 'data-account-id': a.id });
      edit.addEventListener('click', function () { openHub({ accountId: a.id }); });
      var row = el('tr', null, { 'data-testid': 'account-row', 'data-account-id': a.id, 'data-provider': a.provider });
      var actions = el('td');
      actions.appendChild(edit);
      row.append(el('td', a.providerName || a.provider), el('td', a.id), el('td', a.status), healthCell(a), actions);
      table.appendChild(row);
    });
    box.replaceChildren(table);
    return list.data;
  }

  /**
   * After a re-link the service learns the repair from StackOne's account.updated and its read of
   * the account: read the accounts until this one is no longer broken (bounded).
   */
  async function followHealth(accountId) {
    for (var i = 0; i < 20; i++) {
      var accounts = await loadAccounts();
      var account = accounts.find(function (a) { return a.id === accountId; });
      if (!account || !account.health || account.health.state !== 'broken') return;
      await new Promise(function (r) { setTimeout(r, 500); });
    }
  }

  async function loadEvents() {
    var list = await json(await fetch('/api/internal-events'));
    var box = document.getElementById('events');
    var key = JSON.stringify(list.data);
    if (key === drawn.events) return list.data.length;
    drawn.events = key;
    if (!list.data.length) { box.replaceChildren(el('p', 'Nothing yet.')); return list.data.length; }
    var table = el('table');
    table.appendChild(el('tr')).append(el('th', 'Event'), el('th', 'Account / session'), el('th', 'Provider'), el('th', 'Detail'), el('th', 'webhook-id'));
    list.data.forEach(function (e) {
      var row = el('tr', null, { 'data-testid': 'event-row', 'data-type': e.type });
      row.append(el('td', e.type), el('td', e.data.sessionId ? 'session ' + e.data.sessionId : e.data.accountId), el('td', e.data.provider || '—'), el('td', eventDetail(e)), el('td', e.webhookId));
      table.appendChild(row);
    });
    box.replaceChildren(table);
    return list.data.length;
  }

  function eventDetail(e) {
    if (e.type === 'account.broken') {
      var reasons = (e.data.reasons || []).map(function (r) { return r.code || r.description; }).filter(Boolean).join(', ');
      return e.data.status + (reasons ? ' (' + reasons + ')' : '') + (e.data.providerIncident ? ', provider incident' : '');
    }
    if (e.type === 'account.recovered') return 'broken for ' + e.data.brokenForSeconds + ' s';
    return '';
  }

  /** Deliveries arrive shortly after the webhook; look a few times (bounded). */
  async function followEvents(before) {
    for (var i = 0; i < 20; i++) {
      if ((await loadEvents()) >= before + 2) return;
      await new Promise(function (r) { setTimeout(r, 500); });
    }
  }

  function showSession(s) {
    var dl = el('dl');
    [['Session', s.sessionId], ['Status', s.status], ['Provider', s.provider || '—'], ['Account', s.accountId || '—'], ['Completed at', s.completedAt || '—']].forEach(function (pair) {
      var dd = el('dd', pair[1], { 'data-testid': 'session-' + pair[0].toLowerCase().replace(/ /g, '-') });
      if (pair[0] === 'Status') dd.className = 'badge ' + s.status;
      dl.append(el('dt', pair[0]), dd);
    });
    document.getElementById('session').replaceChildren(dl);
  }

  /** The account event reaches the service by webhook; read the session until it is no longer pending (bounded). */
  async function followSession(id) {
    for (var i = 0; i < 20; i++) {
      var s = await json(await fetch('/api/sessions/' + encodeURIComponent(id)));
      showSession(s);
      if (s.status !== 'pending') return;
      await new Promise(function (r) { setTimeout(r, 250); });
    }
  }

  async function openHub(request) {
    pageError('');
    try {
      if (!hubBaseUrl) hubBaseUrl = (await json(await fetch('/api/config'))).hubBaseUrl;
      var session = await json(await fetch('/api/sessions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) }));
      showSession({ sessionId: session.sessionId, status: 'pending', provider: session.provider });
      var hub = el('stackone-hub', null, { token: session.token, 'base-url': hubBaseUrl, height: '460px', 'data-testid': 'hub' });
      var eventsBefore = document.querySelectorAll('[data-testid=event-row]').length;
      hub.addEventListener('success', function () {
        followSession(session.sessionId)
          .then(function () { return request.accountId ? followHealth(request.accountId) : loadAccounts(); })
          .catch(function (e) { pageError(e.message); });
        followEvents(eventsBefore).catch(function (e) { pageError(e.message); });
      });
      // The hub's own Close button (after a success).
      hub.addEventListener('close', function () { hub.remove(); });
      document.getElementById('hub-host').replaceChildren(hub);
    } catch (e) { pageError(e.message); }
  }

  connect.addEventListener('click', function () { openHub(provider ? { provider: provider } : { categories: ['hris'] }); });
  function refresh() {
    loadAccounts().catch(function (e) { pageError(e.message); });
    loadEvents().catch(function (e) { pageError(e.message); });
  }
  refresh();
  // An account can break while the page is open (StackOne tells the service, not the page): look again now and then.
  setInterval(function () { if (document.visibilityState === 'visible') refresh(); }, REFRESH_MS);
})();
</script></body></html>`;
}
