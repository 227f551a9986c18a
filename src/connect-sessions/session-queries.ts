import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { Tenant } from '../auth/tenant';
import { RetryLaterException } from '../common/problem.exception';
import { StateUnavailableError } from '../state/shared-state';
import { ListSessionsQueryDto, SESSION_PAGE_SIZE } from './dto/list-sessions.query.dto';
import { SessionListResponseDto, SessionStatusResponseDto } from './dto/session-status.response.dto';
import { SessionExpiry } from './session-expiry';
import { sessionStatus, StoredSession } from './session-record';
import { SESSION_STORE, SessionStore } from './session.store';

const SESSION_NOT_FOUND = 'No such connect session for your tenant.';
const READ_BATCH = 200;

/** 503 + Retry-After: while Redis is unreachable, session status cannot be read. */
class SessionsUnavailableError extends RetryLaterException {
  constructor() {
    super('Session status cannot be read right now; retry after Retry-After seconds.');
  }
}

/** The status API: one session of the caller's tenant, or its sessions newest first; never another tenant's. */
@Injectable()
export class SessionQueries {
  constructor(
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly expiry: SessionExpiry,
  ) {}

  async get(tenant: Tenant, sessionId: string): Promise<SessionStatusResponseDto> {
    const stored = await this.read(() => this.store.get(tenant.id, sessionId));
    if (!stored || stored.record.tenantId !== tenant.id) throw new NotFoundException(SESSION_NOT_FOUND);
    const now = Date.now();
    await this.expiry.countIfExpired(stored, now);
    return toView(stored, now);
  }

  async list(tenant: Tenant, query: ListSessionsQueryDto): Promise<SessionListResponseDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? SESSION_PAGE_SIZE.default;
    const skip = (page - 1) * pageSize;
    const now = Date.now();
    const found: StoredSession[] = [];
    let matched = 0;
    let hasMore = false;
    await this.read(async () => {
      for await (const stored of this.store.newest(tenant.id, READ_BATCH)) {
        if (stored.record.tenantId !== tenant.id) continue;
        if (query.provider !== undefined && stored.record.provider !== query.provider) continue;
        if (query.status !== undefined && sessionStatus(stored, now) !== query.status) continue;
        matched += 1;
        if (matched <= skip) continue;
        if (found.length === pageSize) {
          hasMore = true;
          break;
        }
        found.push(stored);
      }
    });
    await Promise.all(found.map((s) => this.expiry.countIfExpired(s, now)));
    return { data: found.map((s) => toView(s, now)), page, pageSize, hasMore };
  }

  /** A store read, or 503 when Redis is known down, fails or times out. */
  private async read<R>(op: () => Promise<R>): Promise<R> {
    try {
      return await op();
    } catch (err) {
      throw err instanceof StateUnavailableError ? new SessionsUnavailableError() : err;
    }
  }
}

function toView(stored: StoredSession, now: number): SessionStatusResponseDto {
  const { record, completion } = stored;
  return {
    sessionId: record.sessionId,
    status: sessionStatus(stored, now),
    // A provider-less session shows the provider the customer connected.
    provider: record.provider ?? completion?.provider,
    categories: record.categories,
    accountId: completion?.accountId ?? record.accountId,
    accountAction: completion?.action ?? record.accountAction,
    label: record.label,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    completedAt: completion?.completedAt,
  };
}
