import { Logger } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { accountMirrorProviders } from '../../test/support/account-mirror';
import { AccountsService } from '../accounts/accounts.service';
import { Tenant } from '../auth/tenant';
import { RequestValidationError } from '../common/request-validation.error';
import { MetricsService } from '../observability/metrics.service';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { ConnectSessionTokenAuthLinkWire, LinkedAccountWire } from '../stackone/stackone.types';
import { testConfigModule } from '../../test/support/config';
import { ConnectSessionsService } from './connect-sessions.service';
import { SessionRecorder } from './session-recorder';

const tenant: Tenant = { id: 'org_1', name: 'Acme Inc', username: 'jane@acme.example', via: 'jwt', principal: 'user-1' };

const session = (): ConnectSessionTokenAuthLinkWire => ({
  id: 7,
  organization_id: 1,
  project_id: 'p',
  origin_owner_id: tenant.id,
  origin_owner_name: tenant.name,
  origin_username: 'jane@acme.example',
  provider: 'hibob',
  created_at: '2026-11-25T10:00:00.000Z',
  token: 'tok',
  auth_link_url: 'https://hub.example/connect?token=tok',
});

const account = (overrides: Partial<LinkedAccountWire> = {}): LinkedAccountWire =>
  ({ id: 'acc_1', provider: 'hibob', origin_owner_id: tenant.id, origin_owner_name: tenant.name, status: 'active', created_at: '2026-11-01T00:00:00.000Z', updated_at: '2026-11-01T00:00:00.000Z', ...overrides });

/** A promise settled from outside, to see which calls are in flight together. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe(ConnectSessionsService.name, () => {
  let sut: ConnectSessionsService;
  let metrics: MetricsService;
  let stackone: { createConnectSession: jest.Mock; listAccounts: jest.Mock; getAccount: jest.Mock };

  beforeEach(async () => {
    stackone = { createConnectSession: jest.fn(), listAccounts: jest.fn(), getAccount: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      imports: [testConfigModule()],
      providers: [
        ConnectSessionsService,
        AccountsService,
        MetricsService,
        { provide: StackOneHttpService, useValue: stackone },
        { provide: SessionRecorder, useValue: { record: jest.fn().mockResolvedValue(undefined) } },
        ...accountMirrorProviders(),
      ],
    }).compile();
    sut = moduleRef.get(ConnectSessionsService);
    metrics = moduleRef.get(MetricsService);
  });

  const mismatches = async (): Promise<number> =>
    (await metrics.ownerMismatches.get()).values.find((v) => v.labels.operation === 'createConnectSession')?.value ?? 0;

  it.each([
    ['without a provider', {}],
    ['with a provider (preview alongside)', { provider: 'hibob' }],
    ['for one of its accounts', { accountId: 'acc_1' }],
  ])('refuses a session StackOne made for another owner %s: 502-kind error, counted, token never returned', async (_n, dto) => {
    stackone.listAccounts.mockResolvedValue([]);
    stackone.getAccount.mockResolvedValue(account());
    stackone.createConnectSession.mockResolvedValue({ ...session(), origin_owner_id: 'org_2', origin_owner_name: 'Other Co' });

    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const err = await sut.create(tenant, dto).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StackOneApiError);
    expect((err as StackOneApiError).kind).toBe('invalid-response');
    expect(await mismatches()).toBe(1);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('with origin_owner_id "org_2"'));
    expect(JSON.stringify(logged.mock.calls)).not.toMatch(/\btok\b|hub\.example/);
    logged.mockRestore();
  });

  it('hands over a session whose owner is the tenant, uncounted', async () => {
    stackone.createConnectSession.mockResolvedValue(session());
    await expect(sut.create(tenant, {})).resolves.toMatchObject({ token: 'tok', originOwnerId: tenant.id });
    expect(await mismatches()).toBe(0);
  });

  it('runs the provider preview look-up alongside the session creation, not before it', async () => {
    const lookup = deferred<LinkedAccountWire[]>();
    stackone.listAccounts.mockReturnValue(lookup.promise);
    stackone.createConnectSession.mockResolvedValue(session());

    const result = sut.create(tenant, { provider: 'hibob' });
    await new Promise((r) => setImmediate(r));
    // The creation started while the look-up is still pending.
    expect(stackone.createConnectSession).toHaveBeenCalledTimes(1);
    lookup.resolve([account()]);

    await expect(result).resolves.toMatchObject({ token: 'tok', accountAction: 'update', accountId: 'acc_1' });
  });

  it('fails the request when the preview look-up fails, even though the creation succeeded', async () => {
    stackone.listAccounts.mockRejectedValue(new StackOneApiError('http', 'listAccounts', { status: 503 }));
    stackone.createConnectSession.mockResolvedValue(session());

    await expect(sut.create(tenant, { provider: 'hibob' })).rejects.toBeInstanceOf(StackOneApiError);
  });

  it('checks an accountId belongs to the tenant before any session is created', async () => {
    const owned = deferred<LinkedAccountWire>();
    stackone.getAccount.mockReturnValue(owned.promise);
    stackone.createConnectSession.mockResolvedValue(session());

    const result = sut.create(tenant, { accountId: 'acc_9' });
    await new Promise((r) => setImmediate(r));
    expect(stackone.createConnectSession).not.toHaveBeenCalled();
    owned.resolve(account({ id: 'acc_9' }));

    await expect(result).resolves.toMatchObject({ accountAction: 'update', accountId: 'acc_9' });
  });

  it('never creates a session for another tenant\'s account', async () => {
    stackone.getAccount.mockResolvedValue(account({ id: 'acc_9', origin_owner_id: 'org_2' }));

    await expect(sut.create(tenant, { accountId: 'acc_9' })).rejects.toBeInstanceOf(NotFoundException);
    expect(stackone.createConnectSession).not.toHaveBeenCalled();
  });

  it("refuses a re-link naming another provider than the account's, naming both, before StackOne is asked", async () => {
    stackone.getAccount.mockResolvedValue(account({ id: 'acc_9', provider: 'hibob' }));
    stackone.createConnectSession.mockResolvedValue(session());

    const err = (await sut.create(tenant, { accountId: 'acc_9', provider: 'bamboohr' }).then(() => undefined, (e: unknown) => e)) as RequestValidationError;
    expect(err).toBeInstanceOf(RequestValidationError);
    expect(err.errors).toEqual([{ field: 'provider', message: expect.stringContaining('hibob') }]);
    expect(err.detail).toEqual(expect.stringContaining('hibob'));
    expect(err.detail).toEqual(expect.stringContaining('bamboohr'));
    expect(stackone.createConnectSession).not.toHaveBeenCalled();
    // The account's own provider is fine.
    await expect(sut.create(tenant, { accountId: 'acc_9', provider: 'hibob' })).resolves.toMatchObject({ accountAction: 'update', accountId: 'acc_9' });
  });

  it('decides `multiple` and provider-less sessions without a look-up', async () => {
    stackone.createConnectSession.mockResolvedValue(session());

    await expect(sut.create(tenant, { provider: 'hibob', multiple: true })).resolves.toMatchObject({ accountAction: 'create' });
    await expect(sut.create(tenant, { categories: ['hris'] })).resolves.not.toHaveProperty('accountAction');
    expect(stackone.listAccounts).not.toHaveBeenCalled();
  });
});
