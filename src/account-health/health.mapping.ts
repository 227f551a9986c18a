import type { LinkedAccountWire } from '../stackone/stackone.types';
import type { HealthInput } from './account-health.service';

/** StackOne's account (snake_case wire) → what account health observes; read after a webhook and by the sweep alike. */
export function toHealthInput(a: LinkedAccountWire): HealthInput {
  return {
    id: a.id,
    provider: a.provider,
    status: a.status,
    statusReasons: a.status_reasons,
    originOwnerId: a.origin_owner_id,
    originOwnerName: a.origin_owner_name,
    label: a.label ?? undefined,
    updatedAt: a.updated_at,
  };
}
