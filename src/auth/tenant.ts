/** The authenticated caller's organisation: the only source of StackOne's origin_owner_id / origin_owner_name. */
export interface Tenant {
  id: string;
  name: string;
  /** The end user behind the call, when the credential names one (JWT username claim). */
  username?: string;
  /** How the caller authenticated, and which principal (JWT subject or API key name) for logs. */
  via: 'jwt' | 'api-key';
  principal: string;
}

/*
 * One tenant-id rule and one tenant-name rule for every credential (JWT claims, X-Tenant-* headers,
 * bound API keys): whatever the credential type, only these values reach StackOne as the owner.
 */
const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
export const TENANT_ID_RULE = '1-128 characters: letters, digits and . _ : @ - (starting with a letter or digit)';

/** Refused rather than trimmed: a padded or blank name points at a misconfigured identity source. */
const TENANT_NAME_PATTERN = /^(?!\s)[^\p{Cc}\u2028\u2029]{1,256}(?<!\s)$/u;
export const TENANT_NAME_RULE = '1-256 printable characters, without leading or trailing whitespace';

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID_PATTERN.test(value);
}

export function isTenantName(value: unknown): value is string {
  return typeof value === 'string' && TENANT_NAME_PATTERN.test(value);
}
