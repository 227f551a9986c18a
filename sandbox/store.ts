import type { ConnectSessionCreateWire, LinkedAccountWire } from '../src/stackone/stackone.types';
import type { ArmedFault, ProviderOutage } from './faults';
import type { SandboxProvider } from './providers';
import type { WebhookDelivery, WebhookSender } from './webhooks';

/** A connect session as the sandbox keeps it: what was asked for, its token, link and expiry. */
export interface SandboxSession extends Omit<ConnectSessionCreateWire, 'expires_in' | 'metadata'> {
  id: number;
  /** A string, as StackOne answers since SDK 4.34.0. */
  organization_id: string;
  project_id: string;
  metadata?: Record<string, unknown>;
  created_at: string;
  token: string;
  auth_link_url: string;
  expiresAt: number;
  completedAccountId?: string;
}

/** The statuses StackOne's SDK lists. StackOne's enum is open: the status control also takes any other lower-case word. */
export const KNOWN_ACCOUNT_STATUSES = ['active', 'inactive', 'suspended', 'archived', 'expired', 'error'] as const;
export type SandboxAccountStatus = (typeof KNOWN_ACCOUNT_STATUSES)[number] | (string & {});

/** StackOne's StatusReason: why an account has its status. */
export interface SandboxStatusReason {
  code?: string;
  description?: string;
  timestamp: string;
}

/**
 * A linked account, secrets included: StackOne's answers carry them, and the service must drop them.
 * `status` is StackOne's open enum (the service's wire type lists fewer), `status_reasons` empty while active.
 */
export interface SandboxAccount extends Omit<LinkedAccountWire, 'status' | 'status_reasons'> {
  provider_name: string;
  status: SandboxAccountStatus;
  status_reasons: SandboxStatusReason[];
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
  /** Providers whose accounts a provider-outage fault has broken, by provider key (faults.ts). */
  outages: Map<string, ProviderOutage>;
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
  return { sessions: new Map(), accounts: new Map(), faults: [], outages: new Map(), requests: [], webhooks: [], connectionAttempts: new Map(), nextSessionId: firstSessionId() };
}

/** Forgets requests, faults, provider outages, sessions, accounts, connection attempts and webhook deliveries. */
export function resetState(state: SandboxState): void {
  state.outages.clear();
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
