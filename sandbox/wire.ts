/**
 * The sandbox's side of StackOne's wire format: its answers are typed with the service's own wire
 * types (src/stackone/stackone.types.ts), so the two cannot drift apart unnoticed.
 */
import { STACKONE_CATEGORIES } from '../src/stackone/stackone.categories';
import type { ConnectorMetaWire, ConnectSessionTokenAuthLinkWire, ConnectSessionWire } from '../src/stackone/stackone.types';
import type { SandboxProvider } from './providers';
import type { SandboxAccount, SandboxSession } from './store';

/** StackOne's error body; `provider_response` is what the provider answered (the hub shows it under the message). */
export const errorBody = (statusCode: number, message: string, providerResponse?: string): Record<string, unknown> => ({
  statusCode,
  message,
  ...(providerResponse !== undefined ? { provider_response: providerResponse } : {}),
  timestamp: new Date().toISOString(),
});

/** A query parameter given once, repeated, or comma-separated, as a list. */
export function toList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

export function publicAccount(a: SandboxAccount): SandboxAccount {
  // Like StackOne, answers carry credentials and setup information: the service must drop them.
  return { ...a };
}

export function sessionWire(s: SandboxSession, withToken: true): ConnectSessionTokenAuthLinkWire;
export function sessionWire(s: SandboxSession, withToken: false): ConnectSessionWire;
export function sessionWire(s: SandboxSession, withToken: boolean): ConnectSessionWire | ConnectSessionTokenAuthLinkWire {
  const wire: ConnectSessionWire = {
    id: s.id,
    organization_id: s.organization_id,
    project_id: s.project_id,
    origin_owner_id: s.origin_owner_id,
    origin_owner_name: s.origin_owner_name,
    origin_username: s.origin_username ?? null,
    provider: s.provider ?? null,
    categories: s.categories ?? null,
    account_id: s.account_id ?? null,
    label: s.label ?? null,
    metadata: s.metadata ?? null,
    type: s.type ?? null,
    created_at: s.created_at,
    connector_profile_id: s.connector_profile_id ?? null,
  };
  return withToken ? { ...wire, token: s.token, auth_link_url: s.auth_link_url } : wire;
}

export function connectorMeta(p: SandboxProvider, publicUrl: string): ConnectorMetaWire {
  return {
    provider: p.key,
    provider_name: p.name,
    category: p.category,
    active: true,
    models: {},
    resources: { images: { logo_url: `${publicUrl}/__sandbox/logos/${p.key}.png` } },
  };
}

/** What StackOne checks on POST /connect_sessions; `null` when the body is acceptable. */
export function validateSessionBody(body: Record<string, unknown>, providers: Map<string, SandboxProvider>): string | null {
  for (const field of ['origin_owner_id', 'origin_owner_name']) {
    if (typeof body[field] !== 'string' || body[field].trim() === '') return `${field} must be a non-empty string`;
  }
  for (const field of ['origin_username', 'provider', 'provider_version', 'connector_profile_id', 'integration_id', 'account_id', 'label']) {
    if (body[field] !== undefined && body[field] !== null && typeof body[field] !== 'string') return `${field} must be a string`;
  }
  if (body.provider !== undefined && body.provider !== null && !providers.has(body.provider as string)) {
    return `Provider ${body.provider as string} is not enabled for this project`;
  }
  if (body.categories !== undefined && body.categories !== null) {
    const known: readonly string[] = STACKONE_CATEGORIES;
    if (!Array.isArray(body.categories) || body.categories.some((c) => !known.includes(c as string))) {
      return `categories must be an array of: ${known.join(', ')}`;
    }
  }
  if (body.multiple !== undefined && body.multiple !== null && typeof body.multiple !== 'boolean') return 'multiple must be a boolean';
  if (body.metadata !== undefined && body.metadata !== null && (typeof body.metadata !== 'object' || Array.isArray(body.metadata))) return 'metadata must be an object';
  if (body.expires_in !== undefined && body.expires_in !== null && (typeof body.expires_in !== 'number' || body.expires_in <= 0)) return 'expires_in must be a positive number';
  if (body.type !== undefined && body.type !== null && body.type !== 'production' && body.type !== 'test') return 'type must be one of: production, test';
  return null;
}
