import { Injectable, Logger, NotFoundException } from '@nestjs/common';
import { AccountHealthService } from '../account-health/account-health.service';
import { healthStateOf, statusesOf } from '../account-health/health';
import { AccountMirror, ObservedAccount } from '../account-mirror/account-mirror.service';
import { Tenant } from '../auth/tenant';
import { MetricsService } from '../observability/metrics.service';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { LinkedAccountWire } from '../stackone/stackone.types';
import { toAccountResponse } from './account.mapping';
import { AccountListResponseDto, AccountResponseDto } from './dto/account.response.dto';
import { ListAccountsQueryDto, PAGE_SIZE } from './dto/list-accounts.query.dto';
import { UpdateAccountDto } from './dto/update-account.dto';
import { SelfEdits } from './self-edits';

/** One message for "unknown" and "someone else's": no existence oracle across tenants. */
const ACCOUNT_NOT_FOUND = 'No account with this id belongs to your tenant.';

@Injectable()
export class AccountsService {
  private readonly logger = new Logger('Accounts');

  constructor(
    private readonly stackone: StackOneHttpService,
    private readonly metrics: MetricsService,
    private readonly mirror: AccountMirror,
    private readonly selfEdits: SelfEdits,
    private readonly health: AccountHealthService,
  ) {}

  async list(tenant: Tenant, query: ListAccountsQueryDto): Promise<AccountListResponseDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? PAGE_SIZE.default;
    const status = statusFilter(query);
    if (status?.length === 0) return { data: [], page, pageSize, hasMore: false };
    const filters = { origin_owner_id: tenant.id, providers: query.providers, status };
    const accounts = await this.stackone.listAccounts(tenant.id, { ...filters, page, page_size: pageSize });
    // StackOne answers a bare array, so only a full page may have a successor: one more call asks
    // for the single account after it (page numbered in units of one), which is cheap and exact.
    const hasMore =
      accounts.length >= pageSize && (await this.stackone.listAccounts(tenant.id, { ...filters, page: page * pageSize + 1, page_size: 1 })).length > 0;
    const mine = this.mine(tenant, accounts);
    await this.mirror.observed(tenant.id, mine.map(toObserved));
    const data = await Promise.all(mine.map((a) => this.withHealth(tenant, a)));
    const wanted = query.health && new Set(query.health);
    return { data: wanted ? data.filter((a) => wanted.has(a.health.state)) : data, page, pageSize, hasMore };
  }

  async get(tenant: Tenant, id: string): Promise<AccountResponseDto> {
    return this.withHealth(tenant, await this.findOwned(tenant, id));
  }

  async update(tenant: Tenant, id: string, dto: UpdateAccountDto): Promise<AccountResponseDto> {
    await this.findOwned(tenant, id);
    const patch: { label?: string; metadata?: Record<string, unknown> } = {};
    if (dto.label !== undefined) patch.label = dto.label;
    if (dto.metadata !== undefined) patch.metadata = dto.metadata;
    // Marked before it is sent: StackOne's account.updated for it may arrive before its answer, and
    // must complete no connect session (docs/sessions.md).
    const edit = await this.selfEdits.begin(tenant.id, id);
    let updated: LinkedAccountWire;
    try {
      updated = await this.stackone.updateAccount(tenant.id, id, patch);
    } finally {
      await edit.answered();
    }
    await this.mirror.observed(tenant.id, [toObserved(updated)]);
    return this.withHealth(tenant, updated);
  }

  async remove(tenant: Tenant, id: string): Promise<void> {
    const account = await this.findOwned(tenant, id);
    await this.stackone.deleteAccount(tenant.id, id);
    await this.mirror.removed(tenant.id, toObserved(account));
    await this.health.forget(tenant.id, id);
  }

  /** The response, with the account's health (observed: a transition seen here is announced like any other). */
  private async withHealth(tenant: Tenant, a: LinkedAccountWire): Promise<AccountResponseDto> {
    const dto = toAccountResponse(a, { state: 'unknown', since: a.updated_at, reasons: [] });
    dto.health = await this.health.observe(tenant.id, dto);
    return dto;
  }

  /**
   * Reads the account from StackOne and checks it belongs to the tenant (OWASP API1). A foreign id
   * and an unknown id both answer the same 404, and nothing is changed upstream.
   */
  async findOwned(tenant: Tenant, id: string): Promise<LinkedAccountWire> {
    let account: LinkedAccountWire;
    try {
      account = await this.stackone.getAccount(tenant.id, id);
    } catch (err) {
      if (err instanceof StackOneApiError && err.kind === 'http' && err.status === 404) {
        throw new NotFoundException(ACCOUNT_NOT_FOUND);
      }
      throw err;
    }
    if (account.origin_owner_id !== tenant.id) throw new NotFoundException(ACCOUNT_NOT_FOUND);
    await this.mirror.observed(tenant.id, [toObserved(account)]);
    return account;
  }

  /**
   * The owner filter is StackOne's; we check it again rather than trust it with tenant isolation.
   * Anything else it returns is dropped, logged and counted: StackOne mixed owners up.
   */
  private mine(tenant: Tenant, accounts: LinkedAccountWire[]): LinkedAccountWire[] {
    const mine = accounts.filter((a) => a.origin_owner_id === tenant.id);
    const foreign = accounts.length - mine.length;
    if (foreign > 0) {
      this.metrics.ownerMismatches.inc({ operation: 'listAccounts' }, foreign);
      this.logger.error(`StackOne listed ${foreign} account(s) of other owners for tenant ${tenant.id}; they were filtered out.`);
    }
    return mine;
  }

  /**
   * The tenant's existing account for a provider, which a non-`multiple` session would update. With
   * webhooks configured the account mirror answers, and StackOne is asked only when it does not know.
   */
  async findForProvider(tenant: Tenant, provider: string): Promise<{ id: string } | undefined> {
    if (!this.mirror.isEnabled()) return newestOf(this.mine(tenant, await this.listForProvider(tenant, provider)).filter((a) => a.provider === provider));
    const id = await this.mirror.newestFor(tenant.id, provider, async () => {
      const accounts = await this.listForProvider(tenant, provider);
      // A full page may have more behind it: not known to be every account, so not mirrored.
      return { accounts: this.mine(tenant, accounts).map(toObserved), complete: accounts.length < PAGE_SIZE.max };
    });
    return id === undefined ? undefined : { id };
  }

  private listForProvider(tenant: Tenant, provider: string): Promise<LinkedAccountWire[]> {
    return this.stackone.listAccounts(tenant.id, { origin_owner_id: tenant.id, providers: [provider], page_size: PAGE_SIZE.max });
  }
}

/**
 * StackOne's `status` filter for the query: `status` and `health` together are their intersection
 * (empty: nothing can match); `health` alone maps 1:1 onto statuses unless it asks for `unknown`,
 * an open set that only the page's own filtering can find.
 */
function statusFilter(query: ListAccountsQueryDto): string[] | undefined {
  const { status, health } = query;
  if (!health || health.length === 0) return status;
  if (status) return status.filter((s) => health.includes(healthStateOf(s)));
  if (health.includes('unknown')) return undefined;
  return health.flatMap(statusesOf);
}

/** Several only exist after `multiple` sessions; StackOne updates the most recently created one. */
function newestOf(accounts: LinkedAccountWire[]): LinkedAccountWire | undefined {
  return accounts.sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at))[0];
}

/** What the mirror keeps of an account: never credentials or any other field. */
function toObserved(a: LinkedAccountWire): ObservedAccount {
  return { id: a.id, provider: a.provider, status: a.status, ownerId: a.origin_owner_id, createdAt: a.created_at };
}
