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
