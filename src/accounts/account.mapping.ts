import type { AccountHealth } from '../account-health/health';
import { LinkedAccountWire } from '../stackone/stackone.types';
import { AccountResponseDto } from './dto/account.response.dto';

const opt = <T>(v: T | null | undefined): T | undefined => (v === null ? undefined : v);

/**
 * An allow-list, field by field: whatever else StackOne adds to an account (credentials,
 * setup_information, future secret-bearing fields) never reaches a caller.
 */
export function toAccountResponse(a: LinkedAccountWire, health: AccountHealth): AccountResponseDto {
  return {
    id: a.id,
    provider: a.provider,
    providerName: opt(a.provider_name),
    status: a.status,
    statusReasons: a.status_reasons?.map((r) => ({ code: opt(r.code), description: opt(r.description), timestamp: r.timestamp })),
    originOwnerId: a.origin_owner_id,
    originOwnerName: a.origin_owner_name,
    originUsername: opt(a.origin_username),
    label: opt(a.label),
    type: opt(a.type),
    metadata: opt(a.metadata),
    health,
    createdAt: a.created_at,
    updatedAt: a.updated_at,
  };
}
