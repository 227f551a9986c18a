import { Tenant } from '../auth/tenant';
import { ConnectSessionCreateWire, ConnectSessionTokenAuthLinkWire } from '../stackone/stackone.types';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CreateConnectSessionDto, EXPIRES_IN_BOUNDS } from './dto/create-connect-session.dto';

/** Our camelCase request + the authenticated tenant → StackOne's body. The owner only ever comes from `tenant`. */
export function toConnectSessionWire(tenant: Tenant, dto: CreateConnectSessionDto): ConnectSessionCreateWire {
  const wire: ConnectSessionCreateWire = {
    origin_owner_id: tenant.id,
    origin_owner_name: tenant.name,
  };
  const username = dto.originUsername ?? tenant.username;
  if (username !== undefined) wire.origin_username = username;
  if (dto.provider !== undefined) wire.provider = dto.provider;
  // Deprecated by StackOne, yet what the caller asked for: passed on unchanged (docs tell callers to omit it).
  if (dto.providerVersion !== undefined) wire.provider_version = dto.providerVersion;
  if (dto.connectorProfileId !== undefined) wire.connector_profile_id = dto.connectorProfileId;
  if (dto.categories !== undefined) wire.categories = dto.categories;
  if (dto.accountId !== undefined) wire.account_id = dto.accountId;
  if (dto.label !== undefined) wire.label = dto.label;
  if (dto.multiple !== undefined) wire.multiple = dto.multiple;
  if (dto.metadata !== undefined) wire.metadata = dto.metadata;
  if (dto.expiresIn !== undefined) wire.expires_in = dto.expiresIn;
  if (dto.type !== undefined) wire.type = dto.type;
  return wire;
}

const present = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** StackOne's answer → ours. expiresAt is computed: StackOne does not return it. */
export function toConnectSessionResponse(
  wire: ConnectSessionTokenAuthLinkWire,
  sent: ConnectSessionCreateWire,
): ConnectSessionResponseDto {
  const createdMs = Date.parse(wire.created_at);
  const lifetimeS = sent.expires_in ?? EXPIRES_IN_BOUNDS.default;
  const base = Number.isNaN(createdMs) ? Date.now() : createdMs;
  return {
    token: wire.token,
    expiresAt: new Date(base + lifetimeS * 1000).toISOString(),
    authLinkUrl: wire.auth_link_url,
    sessionId: String(wire.id),
    originOwnerId: wire.origin_owner_id,
    originOwnerName: wire.origin_owner_name,
    originUsername: present(wire.origin_username),
    provider: present(wire.provider),
    categories: present(wire.categories),
    accountId: present(wire.account_id),
    // An echo only: a session StackOne created is never refused for this field's shape.
    connectorProfileId: typeof wire.connector_profile_id === 'string' && wire.connector_profile_id !== '' ? wire.connector_profile_id : undefined,
    label: present(wire.label),
    type: present(wire.type),
    metadata: present(wire.metadata),
    createdAt: Number.isNaN(createdMs) ? wire.created_at : new Date(createdMs).toISOString(),
  };
}
