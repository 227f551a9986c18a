import { ACCOUNT_WEBHOOK_EXAMPLE, isAccountWebhook, isStackOneWebhook, StackOneWebhookWire } from '../stackone/stackone-webhook.types';
import { freshness, toAccountEvent } from './webhook.mapping';

const wire = (over: Partial<Record<keyof StackOneWebhookWire, unknown>> = {}): StackOneWebhookWire =>
  ({
    ...ACCOUNT_WEBHOOK_EXAMPLE,
    event_date: '2026-11-25T10:00:00Z',
    sent_at: '2026-11-25T10:00:02.500Z',
    ...over,
  }) as StackOneWebhookWire;

const received = new Date('2026-11-25T10:00:03.000Z');

describe(toAccountEvent.name, () => {
  it('maps the snake_case payload to the camelCase event, owner as tenant, instants normalised', () => {
    const w = wire();
    expect(isAccountWebhook(w)).toBe(true);
    if (!isAccountWebhook(w)) return;
    expect(toAccountEvent(w, received)).toEqual({
      type: 'account.created',
      accountId: '46132201',
      provider: 'hibob',
      tenantId: 'org_acme',
      tenantName: 'Acme Inc',
      username: 'jane@acme.example',
      projectId: 'proj_1',
      occurredAt: '2026-11-25T10:00:00.000Z',
      receivedAt: '2026-11-25T10:00:03.000Z',
    });
  });

  it('leaves out empty optional fields and falls back from event_date to sent_at to the time of receipt', () => {
    const noDate = wire({ event: 'account.deleted', origin_owner_name: null, origin_username: '', project_id: undefined, event_date: undefined });
    if (!isAccountWebhook(noDate)) throw new Error('expected an account webhook');
    const event = toAccountEvent(noDate, received);
    expect(event).toEqual({
      type: 'account.deleted',
      accountId: '46132201',
      provider: 'hibob',
      tenantId: 'org_acme',
      occurredAt: '2026-11-25T10:00:02.500Z',
      receivedAt: received.toISOString(),
    });
    const neither = wire({ event_date: 'yesterday', sent_at: undefined });
    if (!isAccountWebhook(neither)) throw new Error('expected an account webhook');
    expect(toAccountEvent(neither, received).occurredAt).toBe(received.toISOString());
  });
});

describe('the webhook shape checks', () => {
  it('know any webhook by its event name, and an account event by its ids', () => {
    expect(isStackOneWebhook({ event: 'hris_employees.updated' })).toBe(true);
    expect(isStackOneWebhook({ event: '' })).toBe(false);
    expect(isStackOneWebhook({ type: 'account.created' })).toBe(false);
    expect(isStackOneWebhook([{ event: 'account.created' }])).toBe(false);
    expect(isAccountWebhook(wire({ event: 'hris_employees.updated' }))).toBe(false);
  });

  it.each([
    ['account_id', undefined],
    ['account_id', 46132201],
    ['provider', ''],
    ['origin_owner_id', undefined],
    ['origin_owner_name', 42],
    ['sent_at', { at: 'now' }],
  ])('refuses an account event whose %s is %j', (field, value) => {
    expect(isAccountWebhook(wire({ [field]: value }))).toBe(false);
  });
});

describe(freshness.name, () => {
  const now = Date.parse('2026-11-25T10:00:00.000Z');
  const window = 300_000;

  it('accepts a delivery sent within the window either side of now, remembering it until it leaves the window', () => {
    expect(freshness('2026-11-25T09:59:00.000Z', now, window)).toEqual({ fresh: true, rememberForMs: 240_000 });
    expect(freshness('2026-11-25T10:01:00.000Z', now, window)).toEqual({ fresh: true, rememberForMs: 360_000 });
    expect(freshness('2026-11-25T09:55:00.000Z', now, window)).toEqual({ fresh: true, rememberForMs: 1 });
  });

  it('calls a delivery stale when sent before the window, after it, or at no readable time', () => {
    expect(freshness('2026-11-25T09:54:59.999Z', now, window)).toEqual({ fresh: false, reason: 'old' });
    expect(freshness('2026-11-25T10:05:00.001Z', now, window)).toEqual({ fresh: false, reason: 'future' });
    expect(freshness(undefined, now, window)).toEqual({ fresh: false, reason: 'no-sent-at' });
    expect(freshness('not a date', now, window)).toEqual({ fresh: false, reason: 'no-sent-at' });
  });
});
