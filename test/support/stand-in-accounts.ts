// StackOne's accounts, scriptable, for the StackOne stand-in: GET /accounts (origin_owner_id, status,
// page, page_size) and GET /accounts/{id} answer from a map the test changes, silently (no webhook),
// like StackOne changing an account's status. Use `handler` as the stand-in's `fallback`.
import type { StandInHandler } from './stackone-stand-in';
import { json, wireSession } from './stackone-stand-in';

/** The stand-in's other routes, as its defaults answer them: the catalogue (hibob, greenhouse) and session creation. */
export const standInRoutes: StandInHandler = (req, res) => {
  if (req.method === 'GET' && req.url?.startsWith('/connectors')) {
    return json(res, 200, [
      { provider: 'hibob', provider_name: 'HiBob', category: 'hris', models: {} },
      { provider: 'greenhouse', provider_name: 'Greenhouse', category: 'ats', models: {} },
    ]);
  }
  if (req.method === 'POST' && req.url === '/connect_sessions') return json(res, 201, wireSession(JSON.parse(req.body || '{}') as Record<string, unknown>));
  json(res, 404, { statusCode: 404, message: `stand-in: no route for ${req.method} ${req.url}` });
};

export interface WireAccount {
  id: string;
  provider: string;
  status: string;
  status_reasons?: Array<{ code?: string; description?: string; timestamp: string }>;
  origin_owner_id: string;
  origin_owner_name: string;
  label?: string;
  created_at: string;
  updated_at: string;
  credentials?: Record<string, unknown>;
}

export interface StandInAccounts {
  accounts: Map<string, WireAccount>;
  add(over: Partial<WireAccount> & { id: string }): WireAccount;
  setStatus(id: string, status: string, reasons?: WireAccount['status_reasons']): void;
  /** Answers the accounts routes, then `rest`. */
  handler(rest?: StandInHandler): StandInHandler;
}

export function standInAccounts(): StandInAccounts {
  const accounts = new Map<string, WireAccount>();
  const self: StandInAccounts = {
    accounts,
    add: (over) => {
      const now = new Date().toISOString();
      const account: WireAccount = { provider: 'hibob', status: 'active', origin_owner_id: 'org_acme', origin_owner_name: 'Acme Inc', created_at: now, updated_at: now, credentials: { api_key: 'secret-credential-never-shown' }, ...over };
      accounts.set(account.id, account);
      return account;
    },
    setStatus: (id, status, reasons) => {
      const account = accounts.get(id);
      if (!account) throw new Error(`no account ${id}`);
      Object.assign(account, { status, status_reasons: reasons, updated_at: new Date().toISOString() });
    },
    handler: (rest = standInRoutes) => (req, res) => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      if (req.method !== 'GET' || !url.pathname.startsWith('/accounts')) return rest(req, res);
      const id = url.pathname.split('/')[2];
      if (id) {
        const account = accounts.get(decodeURIComponent(id));
        return account ? json(res, 200, account) : json(res, 404, { statusCode: 404, message: 'Account not found', timestamp: new Date().toISOString() });
      }
      const owner = url.searchParams.get('origin_owner_id');
      const statuses = url.searchParams.getAll('status').flatMap((s) => s.split(','));
      const pageSize = Number(url.searchParams.get('page_size') ?? 25);
      const page = Number(url.searchParams.get('page') ?? 1);
      const matching = [...accounts.values()].filter((a) => (!owner || a.origin_owner_id === owner) && (statuses.length === 0 || statuses.includes(a.status)));
      json(res, 200, matching.slice((page - 1) * pageSize, page * pageSize));
    },
  };
  return self;
}
