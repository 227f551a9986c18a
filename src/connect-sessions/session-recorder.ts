import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Tenant } from '../auth/tenant';
import type { AllConfig } from '../app.config';
import { MetricsService } from '../observability/metrics.service';
import { ConnectSessionResponseDto } from './dto/connect-session.response.dto';
import { SessionRecord } from './session-record';
import { SESSION_STORE, SessionStore } from './session.store';

export interface SessionOrigin {
  /** The caller asked to re-link `response.accountId`. */
  relink: boolean;
  /** Overrides the response's provider (a re-link's account provider). */
  provider?: string;
}

/**
 * Records every session this service creates (never its token or hosted link), kept until its
 * expiry plus SESSION_RETENTION_SECONDS. Never fails: while Redis is unreachable the state layer
 * holds the record in this replica's memory (at most SESSION_MEMORY_MAX_ENTRIES) and writes it when
 * Redis is back, so the session's status and its completion by StackOne's retried webhook survive.
 */
@Injectable()
export class SessionRecorder {
  private readonly retentionMs: number;

  constructor(
    config: ConfigService<AllConfig, true>,
    @Inject(SESSION_STORE) private readonly store: SessionStore,
    private readonly metrics: MetricsService,
  ) {
    this.retentionMs = config.get('sessions', { infer: true }).retentionSeconds * 1000;
  }

  async record(tenant: Tenant, session: ConnectSessionResponseDto, origin: SessionOrigin): Promise<void> {
    const provider = origin.provider ?? session.provider;
    this.metrics.sessionsCreated.inc({ provider: provider ?? 'none' });
    const record: SessionRecord = {
      tenantId: tenant.id,
      sessionId: session.sessionId,
      provider,
      categories: session.categories,
      accountId: session.accountId,
      relink: origin.relink || undefined,
      label: session.label,
      accountAction: session.accountAction,
      createdAt: session.createdAt,
      expiresAt: session.expiresAt,
      principal: tenant.principal,
    };
    await this.store.add(record, Math.max(1, Date.parse(record.expiresAt) + this.retentionMs - Date.now()));
  }
}
