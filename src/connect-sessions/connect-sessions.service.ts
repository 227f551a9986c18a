import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AccountsService } from '../accounts/accounts.service';
import { Tenant } from '../auth/tenant';
import { RequestValidationError } from '../common/request-validation.error';
import type { AllConfig } from '../app.config';
import type { StackOneConfig } from '../stackone/stackone.config';
import { MetricsService } from '../observability/metrics.service';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { ConnectSessionTokenAuthLinkWire } from '../stackone/stackone.types';
import { toConnectSessionResponse, toConnectSessionWire } from './connect-session.mapping';
import { AccountAction, ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { CreateConnectSessionDto } from './dto/create-connect-session.dto';
import { SessionRecorder } from './session-recorder';

interface PlannedAction {
  accountAction: AccountAction;
  /** The account the session will update, when it updates one. */
  accountId?: string;
}

@Injectable()
export class ConnectSessionsService {
  private readonly logger = new Logger('ConnectSessions');
  private readonly config: StackOneConfig;

  constructor(
    private readonly stackone: StackOneHttpService,
    private readonly accounts: AccountsService,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
    private readonly sessions: SessionRecorder,
  ) {
    this.config = config.get('stackone', { infer: true });
  }

  async create(tenant: Tenant, dto: CreateConnectSessionDto): Promise<ConnectSessionResponseDto> {
    const request = this.applyAllowLists(dto);
    const wire = toConnectSessionWire(tenant, request);
    if (request.accountId !== undefined) {
      // Ownership first: a foreign or unknown account must never get a session (404 before StackOne is asked).
      const account = await this.accounts.findOwned(tenant, request.accountId);
      // The hub would name one provider and connect the other: refused before StackOne is asked.
      if (request.provider !== undefined && request.provider !== account.provider) {
        throw new RequestValidationError(
          [{ field: 'provider', message: `provider must be the account's provider (${account.provider}) to re-link it, or be left out` }],
          `Account ${account.id} is a ${account.provider} account; it cannot be re-linked as ${request.provider}. Leave provider out, or use ${account.provider}.`,
        );
      }
      const created = this.ownSession(tenant, await this.stackone.createConnectSession(tenant.id, wire));
      const response = withPlan(toConnectSessionResponse(created, wire), { accountAction: 'update', accountId: account.id });
      await this.sessions.record(tenant, response, { relink: true, provider: response.provider ?? account.provider });
      this.metrics.relinkSessions.inc({ outcome: 'created' });
      return response;
    }
    // The provider preview is a read that decides nothing: it runs alongside the creation, so the
    // caller waits one StackOne round trip instead of two. Either failing fails the request.
    const [plan, created] = await Promise.all([
      this.planForProvider(tenant, request),
      this.stackone.createConnectSession(tenant.id, wire).then((session) => this.ownSession(tenant, session)),
    ]);
    const response = withPlan(toConnectSessionResponse(created, wire), plan);
    await this.sessions.record(tenant, response, { relink: false });
    return response;
  }

  /**
   * StackOne's answer must be a session for the caller's tenant: a token made for another owner
   * (a misrouted or mixed-up answer) is never handed over. An answer without an owner has already
   * been refused as invalid by the client's shape check; both end as 502.
   */
  private ownSession(tenant: Tenant, session: ConnectSessionTokenAuthLinkWire): ConnectSessionTokenAuthLinkWire {
    if (session.origin_owner_id === tenant.id) return session;
    this.metrics.ownerMismatches.inc({ operation: 'createConnectSession' });
    // Ids only: the token and the hosted link of the foreign session never reach a log or the caller.
    this.logger.error(
      `StackOne answered a session for tenant ${tenant.id} with origin_owner_id ${JSON.stringify(String(session.origin_owner_id).slice(0, 128))} (session ${JSON.stringify(String(session.id).slice(0, 64))}): refused with 502, token discarded.`,
    );
    throw new StackOneApiError('invalid-response', 'createConnectSession');
  }

  /**
   * What completing the session will do, from StackOne's upsert rules (the seed document's tables),
   * with at most one StackOne look-up and none when the request alone decides it:
   * - accountId → that account is updated (after checking it is the tenant's: foreign or unknown → 404; see `create`);
   * - provider + multiple → a new account is created;
   * - provider → the tenant's existing account for it is updated, otherwise one is created;
   * - neither → unknown until the person picks a provider: no accountAction.
   */
  private async planForProvider(tenant: Tenant, dto: CreateConnectSessionDto): Promise<PlannedAction | undefined> {
    if (dto.provider === undefined) return undefined;
    if (dto.multiple === true) return { accountAction: 'create' };
    const existing = await this.accounts.findForProvider(tenant, dto.provider);
    return existing ? { accountAction: 'update', accountId: existing.id } : { accountAction: 'create' };
  }

  /** STACKONE_ALLOWED_PROVIDERS / _CATEGORIES: refuse what is outside them, narrow the hub to them. */
  private applyAllowLists(dto: CreateConnectSessionDto): CreateConnectSessionDto {
    const { allowedProviders, allowedCategories } = this.config;
    if (dto.provider !== undefined && allowedProviders.length > 0 && !allowedProviders.includes(dto.provider)) {
      throw new RequestValidationError(
        [{ field: 'provider', message: `provider must be one of: ${allowedProviders.join(', ')}` }],
        `Provider "${dto.provider}" is not offered by this service. Allowed providers: ${allowedProviders.join(', ')}.`,
      );
    }
    if (allowedCategories.length === 0) return dto;
    const refused = (dto.categories ?? []).filter((c) => !allowedCategories.includes(c));
    if (refused.length > 0) {
      throw new RequestValidationError(
        [{ field: 'categories', message: `categories must be among: ${allowedCategories.join(', ')}` }],
        `Categories ${refused.join(', ')} are not offered by this service. Allowed categories: ${allowedCategories.join(', ')}.`,
      );
    }
    // Without a provider or categories the hub would offer every category: narrow it to the allowed ones.
    if (dto.categories === undefined && dto.provider === undefined && dto.accountId === undefined) {
      return { ...dto, categories: [...allowedCategories] };
    }
    return dto;
  }
}

function withPlan(response: ConnectSessionResponseDto, plan: PlannedAction | undefined): ConnectSessionResponseDto {
  if (!plan) return response;
  return { ...response, accountAction: plan.accountAction, accountId: plan.accountId ?? response.accountId };
}
