import { stableEventKey } from '../events/feed-event';
import { wants, webhookIdFor } from './relay-job';

describe(webhookIdFor.name, () => {
  const created = stableEventKey('account.created', '2026-11-25T10:00:00.000Z', { tenantId: 'org_1', accountId: 'acc_1', provider: 'hibob', tenantName: 'Acme' });

  it('is the same for the same event and subscriber, whatever else the copy carries', () => {
    const again = stableEventKey('account.created', '2026-11-25T10:00:00.000Z', { tenantId: 'org_1', accountId: 'acc_1', provider: 'hibob' });
    expect(webhookIdFor('billing', created)).toBe(webhookIdFor('billing', again));
    expect(webhookIdFor('billing', created)).toMatch(/^msg_[0-9a-f]{32}$/);
  });

  it('differs per subscriber, event type, account, time and tenant', () => {
    const ids = new Set([
      webhookIdFor('billing', created),
      webhookIdFor('sync', created),
      webhookIdFor('billing', stableEventKey('account.updated', '2026-11-25T10:00:00.000Z', { tenantId: 'org_1', accountId: 'acc_1', provider: 'hibob' })),
      webhookIdFor('billing', stableEventKey('account.created', '2026-11-25T10:00:00.000Z', { tenantId: 'org_1', accountId: 'acc_2', provider: 'hibob' })),
      webhookIdFor('billing', stableEventKey('account.created', '2026-11-25T10:00:01.000Z', { tenantId: 'org_1', accountId: 'acc_1', provider: 'hibob' })),
      webhookIdFor('billing', stableEventKey('account.created', '2026-11-25T10:00:00.000Z', { tenantId: 'org_2', accountId: 'acc_1', provider: 'hibob' })),
    ]);
    expect(ids.size).toBe(6);
  });

  it('names a session event by its session, not by when a replica saw it', () => {
    const a = stableEventKey('connect_session.expired', '2026-11-25T10:00:00.000Z', { tenantId: 'org_1', sessionId: 'cs_1' });
    const b = stableEventKey('connect_session.expired', '2026-11-25T10:05:00.000Z', { tenantId: 'org_1', sessionId: 'cs_1', label: 'HR' });
    expect(webhookIdFor('billing', a)).toBe(webhookIdFor('billing', b));
    expect(stableEventKey('connect_session.completed', 't', { tenantId: 'org_1', sessionId: 'cs_1' })).not.toBe(a);
  });
});

describe(wants.name, () => {
  const s = { name: 'billing', url: 'https://b.example', secret: 'whsec_x' };
  it('takes every event without filters, and only matching ones with them', () => {
    expect(wants(s, 'account.deleted', 'org_1')).toBe(true);
    expect(wants({ ...s, events: ['account.created'] }, 'account.deleted', 'org_1')).toBe(false);
    expect(wants({ ...s, events: ['account.created'] }, 'account.created', 'org_1')).toBe(true);
    expect(wants({ ...s, tenants: ['org_2'] }, 'account.created', 'org_1')).toBe(false);
    expect(wants({ ...s, tenants: ['org_2'], events: ['account.created'] }, 'account.created', 'org_2')).toBe(true);
  });
});
