import type { FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxStatusReason } from './store';
import { errorBody } from './wire';

/** How the next webhook deliveries misbehave (FaultSpec.webhook). */
export interface WebhookFault {
  /** Only deliveries of this event (default: any). */
  event?: string;
  /** POST the same delivery twice (same body, same signature). */
  duplicate?: boolean;
  /** Wait this long before sending. */
  delayMs?: number;
  /** Date sent_at this many seconds in the past, as a replay or a long-delayed retry would be. */
  sentAtAgeSeconds?: number;
  /** Sign with another secret. */
  wrongSignature?: boolean;
}

/** How the next OAuth consents in the hub's popup end (FaultSpec.oauth), as a provider can end them. */
export interface OAuthFault {
  status: 'error' | 'cancelled';
  /** For `error`: the OAuth error code and description the hub shows (default access_denied). */
  code?: string;
  description?: string;
}

/**
 * A misbehaviour for the next `count` (default 1) requests matching `method` and a `path` prefix;
 * or, with `webhook`, for the next `count` webhook deliveries the sandbox sends (never a request).
 */
export interface FaultSpec {
  webhook?: WebhookFault;
  /** Applies to the next `count` consents given in the OAuth popup instead of a request. */
  oauth?: OAuthFault;
  method?: string;
  path?: string;
  count?: number;
  status?: number;
  retryAfter?: number | string;
  message?: string;
  /** With `status`: StackOne's `provider_response` in the error body (e.g. the provider's own refusal). */
  providerResponse?: string;
  delayMs?: number;
  dripMs?: number;
  /** Destroy the connection instead of answering (the client sees ECONNRESET). */
  connectionReset?: boolean;
  /** @deprecated The old name of `connectionReset`; still honoured so older tests keep working. */
  reset?: boolean;
  malformed?: boolean;
  redirect?: string;
  hugeBytes?: number;
}

export type ArmedFault = FaultSpec & { remaining: number };

/**
 * A provider's incident (POST /__sandbox/faults/provider-outage): every account of `provider` gets
 * `status` (default `error`) and `reasons` at once, each announced by its own `account.updated`
 * unless `webhook` is false. Unlike the faults above it is a state, not a count of requests: it
 * lasts until ended (DELETE /__sandbox/faults/provider-outage/{provider}). account-status.ts applies it.
 */
export interface ProviderOutageSpec {
  provider: string;
  status?: string;
  reasons?: { code?: string; description?: string; timestamp?: string }[];
  webhook?: boolean;
}

/** An outage in force: what it set, and each account it changed with what that account had before. */
export interface ProviderOutage {
  provider: string;
  status: string;
  reasons: SandboxStatusReason[];
  startedAt: string;
  before: Map<string, { status: string; status_reasons: SandboxStatusReason[] }>;
}

export function armFault(faults: ArmedFault[], fault: FaultSpec): void {
  faults.push({ ...fault, remaining: fault.count ?? 1 });
}

/** The first armed fault matching this request, with one use taken off it. */
export function takeFault(faults: ArmedFault[], method: string, path: string): ArmedFault | undefined {
  const fault = faults.find((f) => f.remaining > 0 && !f.webhook && !f.oauth && (!f.method || f.method.toUpperCase() === method) && (!f.path || path.startsWith(f.path)));
  if (fault) fault.remaining -= 1;
  return fault;
}

/** The first armed webhook fault for a delivery of `event`, with one use taken off it. */
export function takeWebhookFault(faults: ArmedFault[], event: string): WebhookFault | undefined {
  const fault = faults.find((f) => f.remaining > 0 && f.webhook && (!f.webhook.event || f.webhook.event === event));
  if (fault) fault.remaining -= 1;
  return fault?.webhook;
}

/** The first armed OAuth fault, with one use taken off it. */
export function takeOAuthFault(faults: ArmedFault[]): OAuthFault | undefined {
  const fault = faults.find((f) => f.remaining > 0 && f.oauth);
  if (fault) fault.remaining -= 1;
  return fault?.oauth;
}

/** Answers (or drops) the request as the fault says; a fault with only `delayMs` lets the route answer. */
export async function applyFault(fault: FaultSpec, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (fault.delayMs) await sleep(fault.delayMs);
  if (fault.connectionReset || fault.reset) {
    request.raw.socket.destroy();
    reply.hijack();
    return;
  }
  if (fault.malformed) {
    reply.hijack();
    reply.raw.writeHead(201, { 'content-type': 'application/json' });
    reply.raw.end('{"tok');
    return;
  }
  if (fault.redirect) {
    await reply.code(302).header('location', fault.redirect).send();
    return;
  }
  if (fault.hugeBytes) {
    await reply.code(201).header('content-type', 'application/json').send(`{"pad":"${'x'.repeat(fault.hugeBytes)}"}`);
    return;
  }
  if (fault.dripMs) {
    reply.hijack();
    const body = JSON.stringify({ token: 'drip', auth_link_url: 'x', origin_owner_id: 'x', origin_owner_name: 'x', created_at: new Date().toISOString() });
    reply.raw.writeHead(fault.status ?? 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    for (const ch of body) {
      if (reply.raw.destroyed) return;
      reply.raw.write(ch);
      await sleep(fault.dripMs);
    }
    reply.raw.end();
    return;
  }
  if (fault.status) {
    if (fault.retryAfter !== undefined) void reply.header('retry-after', String(fault.retryAfter));
    await reply.code(fault.status).send(errorBody(fault.status, fault.message ?? `Injected fault ${fault.status}`, fault.providerResponse));
  }
}
