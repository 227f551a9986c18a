import type { Tenant } from '../../src/auth/tenant';
import type { ConnectSessionResponseDto } from '../../src/connect-sessions/dto/connect-session.response.dto';

export const acme: Tenant = { id: 'org_acme', name: 'Acme Inc', via: 'jwt', principal: 'user_jane' };
export const globex: Tenant = { id: 'org_globex', name: 'Globex', via: 'jwt', principal: 'user_hank' };

let nextId = 1;

/** A connect session as ConnectSessionsService hands it to the recorder: created now, 30 minutes to live, for Acme. */
export function createdSession(overrides: Partial<ConnectSessionResponseDto> = {}): ConnectSessionResponseDto {
  const now = Date.now();
  return {
    token: 'never-recorded-token',
    authLinkUrl: 'https://hub.example/never-recorded',
    sessionId: String(nextId++),
    originOwnerId: acme.id,
    originOwnerName: acme.name,
    createdAt: new Date(now - 1_000).toISOString(),
    expiresAt: new Date(now + 30 * 60_000).toISOString(),
    ...overrides,
  };
}
