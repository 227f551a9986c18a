import type { ConnectSessionCreateWire, LinkedAccountWire } from '../src/stackone/stackone.types';
import type { ArmedFault } from './faults';
import type { SandboxProvider } from './providers';
import type { WebhookDelivery, WebhookSender } from './webhooks';

/** A connect session as the sandbox keeps it: what was asked for, its token, link and expiry. */
export interface SandboxSession extends Omit<ConnectSessionCreateWire, 'expires_in' | 'metadata'> {
  id: number;
  organization_id: number;
  project_id: string;
  metadata?: Record<string, unknown>;
  created_at: string;
  token: string;
  auth_link_url: string;
  expiresAt: number;
  completedAccountId?: string;
}

/** A linked account, secrets included: StackOne's answers carry them, and the service must drop them. */
export interface SandboxAccount extends LinkedAccountWire {
  provider_name: string;
  status_reasons: null;
  origin_username: string | null;
  label: string | null;
  type: 'production' | 'test' | null;
  metadata: Record<string, unknown> | null;
  credentials: Record<string, unknown>;
  setup_information: Record<string, unknown>;
}

/** An OAuth connection the hub started (POST /hub/connection_attempts) and polls until it ends. */
export interface ConnectionAttempt {
  id: string;
  /** The connect session's token it belongs to. */
  token: string;
  status: 'pending' | 'authenticated' | 'error' | 'cancelled' | 'expired';
  account?: { id: string };
  error?: { code: string; description: string };
  created_at: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface SandboxState {
  sessions: Map<string, SandboxSession>;
  accounts: Map<string, SandboxAccount>;
  faults: ArmedFault[];
  requests: RecordedRequest[];
  /** Webhook deliveries sent (GET /__sandbox/webhooks). */
  webhooks: WebhookDelivery[];
  /** The hub's OAuth connection attempts, by id. */
  connectionAttempts: Map<string, ConnectionAttempt>;
  /** Numeric and growing, like StackOne's; see firstSessionId. */
  nextSessionId: number;
}

/** What every route module of one sandbox shares. */
export interface SandboxContext {
  state: SandboxState;
  providers: SandboxProvider[];
  providerByKey: Map<string, SandboxProvider>;
  /** Base of auth_link_url and logo_url; known once the sandbox listens. */
  publicUrl: string;
  /** Signs and POSTs account events when a webhook URL is configured. */
  webhooks: WebhookSender;
}

const MAX_RECORDED = 10_000;

/**
 * A sandbox's first session id: the start time in ms × 1000. A restarted sandbox (or a second one
 * beside it) then never reuses an id a service's Redis may still hold as an old session, unless an
 * earlier run created over 1,000 sessions per millisecond it ran; ids keep growing across restarts,
 * as StackOne's do. Stays a safe integer until the year 2255.
 */
export function firstSessionId(now: number = Date.now()): number {
  return now * 1000;
}

export function newState(): SandboxState {
  return { sessions: new Map(), accounts: new Map(), faults: [], requests: [], webhooks: [], connectionAttempts: new Map(), nextSessionId: firstSessionId() };
}

/** Forgets requests, faults, sessions, accounts, connection attempts and webhook deliveries. */
export function resetState(state: SandboxState): void {
  state.webhooks.length = 0;
  state.connectionAttempts.clear();
  state.sessions.clear();
  state.accounts.clear();
  state.faults.length = 0;
  state.requests.length = 0;
}

export function recordRequest(state: SandboxState, request: RecordedRequest): void {
  if (state.requests.length < MAX_RECORDED) state.requests.push(request);
}
