/** What happened to a connect session, as published on the event bus (ids and labels only, never its token). */
export interface SessionEvent {
  type: 'connect_session.completed' | 'connect_session.expired';
  tenantId: string;
  tenantName?: string;
  sessionId: string;
  accountId?: string;
  provider?: string;
  label?: string;
  status: 'completed' | 'expired';
  /** When it happened, ISO 8601. */
  occurredAt: string;
  /** connect_session.completed of a re-link session (created with accountId); not shown in the feed. */
  relink?: true;
  /**
   * Published once before: the account event that caused it was delivered again because the first
   * publish was not taken in everywhere. The feed has it already; the relay queues it again (and
   * drops it by webhook-id if it was queued after all).
   */
  redelivery?: true;
}
