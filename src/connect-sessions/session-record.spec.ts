import { AccountEvent } from '../account-events/account-event';
import { eventKey, matchSession, SessionRecord, sessionStatus, StoredSession } from './session-record';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

let ids = 0;
const session = (overrides: Partial<SessionRecord> = {}, completion?: StoredSession['completion']): StoredSession => ({
  record: {
    tenantId: 'org_1',
    sessionId: String(++ids),
    createdAt: at(0),
    expiresAt: at(30),
    principal: 'user-1',
    ...overrides,
  },
  ...(completion ? { completion } : {}),
});

const event = (overrides: Partial<AccountEvent> = {}): AccountEvent => ({
  type: 'account.created',
  accountId: 'acc_1',
  provider: 'hibob',
  tenantId: 'org_1',
  occurredAt: at(10),
  receivedAt: at(10),
  ...overrides,
});

const ids_ = (s: StoredSession | undefined): string | undefined => s?.record.sessionId;

describe('matchSession', () => {
  it("completes the tenant's session for the event's provider, not another provider's", () => {
    const greenhouse = session({ provider: 'greenhouse' });
    const hibob = session({ provider: 'hibob' });
    expect(ids_(matchSession(event(), 'org_1', [greenhouse, hibob], 'hris'))).toBe(hibob.record.sessionId);
    expect(matchSession(event({ provider: 'workday' }), 'org_1', [greenhouse, hibob], 'hris')).toBeUndefined();
  });

  it('picks the most recent pending session for that provider', () => {
    const older = session({ provider: 'hibob', createdAt: at(1) });
    const newer = session({ provider: 'hibob', createdAt: at(5) });
    const completed = session({ provider: 'hibob', createdAt: at(6) }, { accountId: 'acc_0', completedAt: at(7), action: 'create', eventKey: 'x' });
    expect(ids_(matchSession(event(), 'org_1', [older, completed, newer], undefined))).toBe(newer.record.sessionId);
  });

  it('completes a re-link session only with an account.updated of its account, before any provider session', () => {
    const relink = session({ provider: 'hibob', accountId: 'acc_9', relink: true, accountAction: 'update', createdAt: at(1) });
    const provider = session({ provider: 'hibob', accountAction: 'update', accountId: 'acc_9', createdAt: at(0) });
    expect(ids_(matchSession(event({ accountId: 'acc_9', type: 'account.updated' }), 'org_1', [relink, provider], undefined))).toBe(
      relink.record.sessionId,
    );
    // Another account of the same provider: neither the re-link nor the session previewing acc_9.
    expect(matchSession(event({ accountId: 'acc_2', type: 'account.updated' }), 'org_1', [relink, provider], undefined)).toBeUndefined();
    // A new account never completes a re-link.
    expect(matchSession(event({ accountId: 'acc_2' }), 'org_1', [relink], undefined)).toBeUndefined();
  });

  describe('account.updated completes only a session opened to update that account', () => {
    const updated = (overrides: Partial<AccountEvent> = {}): AccountEvent => event({ type: 'account.updated', accountId: 'acc_7', ...overrides });

    it('a provider session whose preview said update naming that account', () => {
      const preview = session({ provider: 'hibob', accountAction: 'update', accountId: 'acc_7' });
      expect(ids_(matchSession(updated(), 'org_1', [preview], 'hris'))).toBe(preview.record.sessionId);
      expect(matchSession(updated({ accountId: 'acc_8' }), 'org_1', [preview], 'hris')).toBeUndefined();
    });

    it('never a category session, an open session or a create preview of the same provider', () => {
      const hris = session({ categories: ['hris'] });
      const open = session({});
      const create = session({ provider: 'hibob', accountAction: 'create' });
      const multiple = session({ provider: 'hibob', accountAction: 'create', createdAt: at(2) });
      expect(matchSession(updated(), 'org_1', [hris, open, create, multiple], 'hris')).toBeUndefined();
    });

    it('never a re-link of another account', () => {
      const other = session({ provider: 'hibob', accountId: 'acc_8', relink: true, accountAction: 'update' });
      expect(matchSession(updated(), 'org_1', [other], 'hris')).toBeUndefined();
    });

    it('the account.created of the same provider still completes a category, open or create-preview session', () => {
      const hris = session({ categories: ['hris'], createdAt: at(3) });
      expect(ids_(matchSession(event(), 'org_1', [hris], 'hris'))).toBe(hris.record.sessionId);
      const create = session({ provider: 'hibob', accountAction: 'create', createdAt: at(1) });
      expect(ids_(matchSession(event(), 'org_1', [hris, create], 'hris'))).toBe(create.record.sessionId);
    });
  });

  it("falls back to a provider-less session whose categories include the provider's category", () => {
    const ats = session({ categories: ['ats'], createdAt: at(3) });
    const hris = session({ categories: ['hris', 'crm'], createdAt: at(1) });
    expect(ids_(matchSession(event(), 'org_1', [ats, hris], 'hris'))).toBe(hris.record.sessionId);
    expect(matchSession(event(), 'org_1', [ats], 'hris')).toBeUndefined();
  });

  it('with the category unknown, only a provider-less session without categories fits', () => {
    const withCategories = session({ categories: ['hris'], createdAt: at(3) });
    const open = session({ createdAt: at(1) });
    expect(ids_(matchSession(event(), 'org_1', [withCategories, open], undefined))).toBe(open.record.sessionId);
    expect(matchSession(event(), 'org_1', [withCategories], undefined)).toBeUndefined();
  });

  it('prefers a session naming the provider over a more recent provider-less one', () => {
    const named = session({ provider: 'hibob', createdAt: at(1) });
    const open = session({ createdAt: at(5) });
    expect(ids_(matchSession(event(), 'org_1', [open, named], 'hris'))).toBe(named.record.sessionId);
  });

  it("never touches another tenant's sessions", () => {
    const other = session({ tenantId: 'org_2', provider: 'hibob' });
    expect(matchSession(event(), 'org_1', [other], 'hris')).toBeUndefined();
    expect(matchSession(event({ tenantId: 'org_2' }), 'org_1', [session({ provider: 'hibob' })], 'hris')).toBeUndefined();
  });

  it('does not complete a session that had expired, or was not yet created, when the event happened', () => {
    const expired = session({ provider: 'hibob', createdAt: at(0), expiresAt: at(5) });
    const later = session({ provider: 'hibob', createdAt: at(15), expiresAt: at(45) });
    expect(matchSession(event({ occurredAt: at(10) }), 'org_1', [expired, later], 'hris')).toBeUndefined();
    expect(ids_(matchSession(event({ occurredAt: at(4) }), 'org_1', [expired, later], 'hris'))).toBe(expired.record.sessionId);
  });

  it('is idempotent: an event that already completed a session completes no other', () => {
    const e = event();
    const done = session({ provider: 'hibob', createdAt: at(5) }, { accountId: 'acc_1', completedAt: at(10), action: 'create', eventKey: eventKey(e) });
    const pending = session({ provider: 'hibob', accountAction: 'update', accountId: 'acc_1', createdAt: at(1) });
    expect(matchSession(e, 'org_1', [done, pending], 'hris')).toBeUndefined();
    // A later event for the same account is another event.
    expect(ids_(matchSession(event({ type: 'account.updated', occurredAt: at(12) }), 'org_1', [done, pending], 'hris'))).toBe(
      pending.record.sessionId,
    );
  });

  it('ignores account.deleted', () => {
    expect(matchSession(event({ type: 'account.deleted' }), 'org_1', [session({ provider: 'hibob' })], 'hris')).toBeUndefined();
  });
});

describe('sessionStatus', () => {
  it('reads a pending session past expiresAt as expired, and a completed one as completed', () => {
    const s = session({ expiresAt: at(30) });
    expect(sessionStatus(s, Date.parse(at(29)))).toBe('pending');
    expect(sessionStatus(s, Date.parse(at(30)))).toBe('expired');
    expect(sessionStatus({ ...s, completion: { accountId: 'a', completedAt: at(1), action: 'create', eventKey: 'k' } }, Date.parse(at(40)))).toBe(
      'completed',
    );
  });
});
