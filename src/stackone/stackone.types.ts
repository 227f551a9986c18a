/**
 * StackOne's wire format (snake_case). Only this folder and the sandbox speak it; everything else
 * uses the service's camelCase DTOs. Shapes follow @stackone/stackone-client-ts 4.28.0, plus what
 * StackOne documents since (connector_profile_id, a string organization_id, the scheduling category).
 */
import { StackOneCategory } from './stackone.categories';

export interface ConnectSessionCreateWire {
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username?: string;
  provider?: string;
  /** @deprecated StackOne: no longer determines the connector version and can make creation fail; sent only when a caller still asks. */
  provider_version?: string;
  /** Routes the session to a (non-default) connector profile. Never its deprecated alias `integration_id`. */
  connector_profile_id?: string;
  categories?: StackOneCategory[];
  account_id?: string;
  label?: string;
  multiple?: boolean;
  metadata?: Record<string, string | number | boolean>;
  expires_in?: number;
  type?: 'production' | 'test';
}

/** Every key StackOne accepts on POST /connect_sessions: the contract test asserts nothing else is sent. */
export const CONNECT_SESSION_CREATE_KEYS: readonly (keyof ConnectSessionCreateWire)[] = [
  'origin_owner_id',
  'origin_owner_name',
  'origin_username',
  'provider',
  'provider_version',
  'connector_profile_id',
  'categories',
  'account_id',
  'label',
  'multiple',
  'metadata',
  'expires_in',
  'type',
];

export interface ConnectSessionTokenAuthLinkWire {
  id: number;
  /** A string since SDK 4.34.0, a number before: both are read. */
  organization_id: string | number;
  project_id: string;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username?: string | null;
  provider?: string | null;
  categories?: StackOneCategory[] | null;
  account_id?: string | null;
  label?: string | null;
  metadata?: Record<string, unknown> | null;
  type?: 'production' | 'test' | null;
  created_at: string;
  token: string;
  auth_link_url: string;
  external_trigger_token?: string | null;
  connector_profile_id?: string | null;
}

/** POST /connect_sessions/authenticate answers the session without its token and hosted link. */
export type ConnectSessionWire = Omit<ConnectSessionTokenAuthLinkWire, 'token' | 'auth_link_url'>;

/** An open enum: StackOne adds values (`archived`, …) and the service must take any string. */
export type LinkedAccountStatus = 'active' | 'inactive' | 'suspended' | 'archived' | 'expired' | 'error' | (string & {});

export interface LinkedAccountWire {
  id: string;
  provider: string;
  provider_name?: string | null;
  status: LinkedAccountStatus;
  status_reasons?: { code?: string | null; description?: string | null; timestamp: string }[] | null;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username?: string | null;
  label?: string | null;
  type?: 'production' | 'test' | null;
  metadata?: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  /** Secrets: never passed on to a caller or a log. */
  credentials?: Record<string, unknown> | null;
  setup_information?: Record<string, unknown> | null;
}

export interface ListAccountsQueryWire {
  origin_owner_id?: string;
  origin_owner_ids?: string[];
  providers?: string[];
  account_ids?: string[];
  status?: LinkedAccountStatus[];
  page?: number;
  page_size?: number;
}

export interface PatchAccountWire {
  label?: string | null;
  metadata?: Record<string, unknown> | null;
}

export interface ConnectorMetaWire {
  provider: string;
  provider_name: string;
  category: string;
  active?: boolean | null;
  models?: Record<string, unknown>;
  release_stage?: string | null;
  resources?: { images?: { logo_url?: string | null } | null } | null;
}
