/**
 * The StackOne sandbox: an in-memory simulator of the parts of StackOne's API this service uses,
 * with StackOne's wire shapes (snake_case), HTTP Basic auth with the project API key, StackOne's
 * error bodies ({ statusCode, message, timestamp }) and its upsert rules when a session completes.
 * Never imported by the service; started by `npm run start:sandbox`, the demo and the tests.
 *
 * API (Basic auth: user = API key, empty password), api.routes.ts:
 *   POST /connect_sessions, POST /connect_sessions/authenticate (connector_profile_id stored and echoed; string organization_id)
 *   GET /accounts (origin_owner_id, origin_owner_ids, provider, providers, account_ids, status, page, page_size)
 *   GET | PATCH | DELETE /accounts/{id}, GET /accounts/{id}/meta   (accounts carry status, status_reasons, created_at, updated_at;
 *     a session that updates an error or expired account makes it active again, as a re-link does)
 *   GET /connectors/meta, GET /connectors/meta/{provider}
 * Hosted page (what auth_link_url points at), hosted-page.routes.ts: GET /connect?token=…, POST /connect (form).
 * Hub API (what StackOne's <stackone-hub> calls from the browser with x-hub-session-token = the session's
 * token; CORS for any origin), hub.routes.ts: GET /hub/settings, GET /hub/connectors[?provider=],
 * GET /hub/connectors/{integration_id}, POST /hub/accounts, GET | PATCH /hub/accounts/{id},
 * POST /hub/connection_attempts, GET | DELETE /hub/connection_attempts/{id}; its OAuth popup,
 * oauth-popup.routes.ts: GET | POST /connect/oauth2/{integration_id} (a simulated consent screen).
 *
 * Fault injection, for tests (no auth; control endpoints under /__sandbox/, control.routes.ts):
 *   POST /__sandbox/faults  { method?, path?, count?, status?, retryAfter?, message?, delayMs?,
 *                             dripMs?, connectionReset?, malformed?, redirect?, hugeBytes? }
 *     The next `count` (default 1) requests whose method matches and whose path starts with `path`
 *     get the fault: `status` (+ Retry-After, StackOne error body), `delayMs` before answering
 *     (normally, or with `status`), `dripMs` (the answer's body a byte at a time), `connectionReset`
 *     (the connection is destroyed; `reset` is its old name), `malformed` (201 with `{"tok`), `redirect` (302 to that URL),
 *     `hugeBytes` (a 201 body of that size); with `status`, `providerResponse` fills StackOne's
 *     provider_response (what the hub shows under the message, e.g. a provider refusing credentials).
 *     `oauth: { status: 'error' | 'cancelled', code?, description? }` ends the next `count` OAuth
 *     consents (Allow in the hub's popup) that way instead. Programmatically: `sandbox.injectFault(spec)`. See faults.ts.
 *   GET /__sandbox/requests   every API request received (method, path, query, headers with credentials redacted, body)
 *     `webhook: { event?, duplicate?, delayMs?, sentAtAgeSeconds?, wrongSignature? }` makes the fault
 *     apply to the next `count` webhook deliveries instead (twice, late, an old sent_at, a wrong signature).
 *   GET /__sandbox/accounts   raw account state, credentials included
 *   POST /__sandbox/accounts/{id}/status  { status, reasons?: [{ code?, description?, timestamp? }], webhook? }
 *     sets an account's status and status_reasons as StackOne would; a change bumps updated_at and sends
 *     the signed account.updated unless `webhook: false` (a lost webhook). DELETE …/status { webhook? }: back to active.
 *   POST /__sandbox/faults/provider-outage  { provider, status? (error), reasons?, webhook? }   every account of
 *     that provider gets the status, one account.updated each; DELETE /__sandbox/faults/provider-outage/{provider}
 *     { webhook? } ends it (each account it changed, if untouched since, back to what it had). account-status.ts.
 *   GET /__sandbox/webhooks   webhook deliveries sent (event, accountId, sentAt, status or error)
 *   POST /__sandbox/reset     forget requests, faults, sessions and accounts
 *   GET /__sandbox/health     liveness
 *   GET /__sandbox/logos/{provider}.png   the connectors' logo_url (a small generated PNG)
 * Webhooks out (webhooks.ts): with `webhook: { url, secret }` (SANDBOX_WEBHOOK_URL, SANDBOX_WEBHOOK_SECRET),
 * account.created/updated/deleted are signed like StackOne's and POSTed whenever the hosted page or
 * the API creates, updates or deletes an account; the answer waits for the delivery at most 1 s.
 * `sandbox.setWebhook(target)` changes the target after start (a service that needs the sandbox's URL first).
 * GET /favicon.ico answers without auth, so a browser on the hosted page logs no error.
 */
import formbody from '@fastify/formbody';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerApiRoutes } from './api.routes';
import { registerControlRoutes } from './control.routes';
import { HUB_TOKEN_HEADER, registerHubRoutes } from './hub.routes';
import { registerOAuthPopupRoutes } from './oauth-popup.routes';
import { applyFault, armFault, FaultSpec, takeFault } from './faults';
import { registerHostedPageRoutes } from './hosted-page.routes';
import { DEFAULT_PROVIDERS, SandboxProvider } from './providers';
import { newState, RecordedRequest, recordRequest, resetState, SandboxContext, SandboxState } from './store';
import { WebhookDelivery, WebhookSender, WebhookTarget } from './webhooks';
import { errorBody } from './wire';

export interface SandboxOptions {
  host: string;
  port: number;
  apiKey: string;
  /** Base of auth_link_url (what a browser can reach); defaults to the listening URL. */
  publicUrl?: string;
  providers: SandboxProvider[];
  /** Where account events are POSTed, signed with `secret` (SANDBOX_WEBHOOK_URL / SANDBOX_WEBHOOK_SECRET); none by default. */
  webhook?: WebhookTarget;
  /** Where delivery failures are reported (default stderr). */
  log?: (line: string) => void;
}

export interface Sandbox {
  url: string;
  app: FastifyInstance;
  state: SandboxState;
  readonly requests: RecordedRequest[];
  /** Webhook deliveries sent so far. */
  readonly webhooks: WebhookDelivery[];
  /** Resolves when every webhook delivery started so far has finished. */
  webhooksSettled(): Promise<void>;
  /** Points later webhook deliveries at `target` (undefined: stop sending), e.g. a service started after the sandbox. */
  setWebhook(target: WebhookTarget | undefined): void;
  injectFault(fault: FaultSpec): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEFAULT_SANDBOX_API_KEY = 'sandbox-api-key';
/** How a recorded request's Authorization header reads when it was exactly Basic auth with the sandbox's API key. */
export const RECORDED_SANDBOX_KEY = 'Basic [the sandbox API key]';
/** …and when it was anything else (never recorded as sent). */
export const RECORDED_OTHER_CREDENTIAL = '[redacted: not the sandbox API key]';

const isControl = (url: string): boolean => url.startsWith('/__sandbox') || url === '/favicon.ico';
const isHostedPage = (url: string): boolean => url === '/connect' || url.startsWith('/connect?') || url.startsWith('/connect/oauth2/');
/** The hub's API: the session token is its auth, not the project's API key. */
const isHub = (url: string): boolean => url === '/hub' || url.startsWith('/hub/') || url.startsWith('/hub?');

export async function createSandbox(options: Partial<SandboxOptions> = {}): Promise<Sandbox> {
  const opts: SandboxOptions = {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    apiKey: options.apiKey ?? DEFAULT_SANDBOX_API_KEY,
    publicUrl: options.publicUrl,
    providers: options.providers ?? DEFAULT_PROVIDERS,
    webhook: options.webhook,
  };
  const state = newState();
  const log = options.log ?? ((line: string): void => void process.stderr.write(`[sandbox] ${line}\n`));
  const webhooks = new WebhookSender(opts.webhook, state, log);
  const ctx: SandboxContext = { state, providers: opts.providers, providerByKey: new Map(opts.providers.map((p) => [p.key, p])), publicUrl: '', webhooks };
  const expectedAuth = `Basic ${Buffer.from(`${opts.apiKey}:`).toString('base64')}`;

  const app = Fastify({ logger: false, bodyLimit: 1_048_576 });
  await app.register(formbody);
  // The hub sends Content-Type: application/json on every call, a DELETE without a body too, which
  // Fastify's own parser refuses as an empty JSON body; an empty body is no body here.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : json(request, body as string, done),
  );

  // The gate in front of the API: record, then inject faults, then check StackOne auth, in that
  // order, like a real network + API. The hosted page and the control API pass through.
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.url;
    if (isControl(url) || isHostedPage(url) || (isHub(url) && request.method === 'OPTIONS')) return;
    const path = url.split('?', 1)[0];
    // Credentials are recorded as what they were, never their value: the hub's session token as
    // present, the Authorization header as the sandbox's key or not (a real StackOne key sent here
    // by mistake must not show up in GET /__sandbox/requests).
    const headers = {
      ...request.headers,
      ...(request.headers[HUB_TOKEN_HEADER] !== undefined ? { [HUB_TOKEN_HEADER]: '[redacted]' } : {}),
      ...(request.headers.authorization !== undefined ? { authorization: request.headers.authorization === expectedAuth ? RECORDED_SANDBOX_KEY : RECORDED_OTHER_CREDENTIAL } : {}),
    };
    recordRequest(state, { method: request.method, path, query: { ...(request.query as object) }, headers, body: request.body });
    const fault = takeFault(state.faults, request.method, path);
    if (fault) {
      await applyFault(fault, request, reply);
      return;
    }
    if (!isHub(url) && request.headers.authorization !== expectedAuth) {
      return reply.code(401).send(errorBody(401, 'Unauthorized: invalid API key'));
    }
  });

  registerApiRoutes(app, ctx);
  registerHostedPageRoutes(app, ctx);
  await registerHubRoutes(app, ctx);
  registerOAuthPopupRoutes(app, ctx);
  registerControlRoutes(app, ctx);
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(404, `Cannot ${request.method} ${request.url.split('?', 1)[0]}`)));

  const address = await app.listen({ host: opts.host, port: opts.port });
  const url = address.replace('[::1]', '127.0.0.1');
  ctx.publicUrl = (opts.publicUrl ?? url).replace(/\/+$/, '');
  return {
    url,
    app,
    state,
    get requests(): RecordedRequest[] {
      return state.requests;
    },
    get webhooks(): WebhookDelivery[] {
      return state.webhooks;
    },
    webhooksSettled: () => webhooks.settled(),
    setWebhook: (target) => webhooks.retarget(target),
    injectFault: (fault) => armFault(state.faults, fault),
    reset: () => resetState(state),
    close: async () => {
      await app.close();
      await webhooks.settled();
    },
  };
}
