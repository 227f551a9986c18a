import { isConnectSessionTokenAuthLink } from './stackone.wire-checks';

const SESSION = {
  id: 1,
  project_id: 'p',
  origin_owner_id: 'org_1',
  origin_owner_name: 'Acme',
  created_at: '2026-11-24T10:00:00.000Z',
  token: 'tok',
  auth_link_url: 'https://hub/connect?token=tok',
};

describe("StackOne's connect-session answer", () => {
  it.each([
    ['a string (SDK 4.34.0 on)', 'org-4242'],
    ['a number (before SDK 4.34.0)', 4242],
    ['absent', undefined],
  ])('is accepted with organization_id as %s', (_what, organizationId) => {
    expect(isConnectSessionTokenAuthLink({ ...SESSION, organization_id: organizationId })).toBe(true);
  });

  it.each([
    ['an object', { id: 1 }],
    ['a boolean', true],
  ])('is refused with organization_id as %s (not StackOne’s answer)', (_what, organizationId) => {
    expect(isConnectSessionTokenAuthLink({ ...SESSION, organization_id: organizationId })).toBe(false);
  });
});
