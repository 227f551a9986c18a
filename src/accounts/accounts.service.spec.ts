import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { accountMirrorProviders } from '../../test/support/account-mirror';
import { testConfigModule } from '../../test/support/config';
import { Tenant } from '../auth/tenant';
import { MetricsService } from '../observability/metrics.service';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { LinkedAccountWire } from '../stackone/stackone.types';
import { AccountsService } from './accounts.service';

const tenant: Tenant = { id: 'org_1', name: 'Acme Inc', via: 'jwt', principal: 'user-1' };

const account = (id: string, owner = tenant.id): LinkedAccountWire => ({
  id,
  provider: 'hibob',
  origin_owner_id: owner,
  origin_owner_name: owner === tenant.id ? tenant.name : 'Other Co',
  status: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
});

describe(AccountsService.name, () => {
  let sut: AccountsService;
  let metrics: MetricsService;
  let stackone: { listAccounts: jest.Mock };

  beforeEach(async () => {
    stackone = { listAccounts: jest.fn() };
    const moduleRef = await Test.createTestingModule({
      imports: [testConfigModule()],
      providers: [
        AccountsService,
        MetricsService,
        { provide: StackOneHttpService, useValue: stackone },
        ...accountMirrorProviders(),
      ],
    }).compile();
    sut = moduleRef.get(AccountsService);
    metrics = moduleRef.get(MetricsService);
  });

  const mismatches = async (): Promise<number> =>
    (await metrics.ownerMismatches.get()).values.find((v) => v.labels.operation === 'listAccounts')?.value ?? 0;

  it('asks for the one account after a full page to say whether more follow', async () => {
    stackone.listAccounts.mockResolvedValueOnce([account('a'), account('b')]).mockResolvedValueOnce([account('c')]);
    const page = await sut.list(tenant, { page: 3, pageSize: 2, providers: ['hibob'] });
    expect(page).toMatchObject({ page: 3, pageSize: 2, hasMore: true });
    expect(page.data.map((a) => a.id)).toEqual(['a', 'b']);
    expect(stackone.listAccounts.mock.calls).toEqual([
      ['org_1', { origin_owner_id: 'org_1', providers: ['hibob'], status: undefined, page: 3, page_size: 2 }],
      ['org_1', { origin_owner_id: 'org_1', providers: ['hibob'], status: undefined, page: 7, page_size: 1 }],
    ]);
  });

  it('says hasMore false without a second call when the page is not full, and after a full last page', async () => {
    stackone.listAccounts.mockResolvedValueOnce([account('a')]);
    await expect(sut.list(tenant, {})).resolves.toMatchObject({ page: 1, pageSize: 25, hasMore: false });
    expect(stackone.listAccounts).toHaveBeenCalledTimes(1);

    stackone.listAccounts.mockResolvedValueOnce([account('a')]).mockResolvedValueOnce([]);
    await expect(sut.list(tenant, { pageSize: 1 })).resolves.toMatchObject({ hasMore: false });
  });

  it("drops, logs and counts accounts of other owners that StackOne lists despite the owner filter", async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    stackone.listAccounts.mockResolvedValueOnce([account('a'), account('x', 'org_2'), account('y', 'org_3')]);
    const page = await sut.list(tenant, {});
    expect(page.data.map((a) => a.id)).toEqual(['a']);
    expect(await mismatches()).toBe(2);
    expect(logged).toHaveBeenCalledWith(expect.stringContaining('StackOne listed 2 account(s) of other owners for tenant org_1'));
    logged.mockRestore();
  });

  describe('?health=', () => {
    const withStatus = (id: string, status: string): LinkedAccountWire => ({ ...account(id), status });

    it("asks StackOne for the statuses of the states asked for, and shows each account's health", async () => {
      stackone.listAccounts.mockResolvedValueOnce([withStatus('a', 'error'), withStatus('b', 'expired')]);
      const page = await sut.list(tenant, { health: ['broken'] });
      expect(stackone.listAccounts.mock.calls[0][1]).toMatchObject({ status: ['error', 'expired'] });
      expect(page.data.map((a) => [a.id, a.health.state])).toEqual([
        ['a', 'broken'],
        ['b', 'broken'],
      ]);
    });

    it('filters the page itself when StackOne answers other states anyway, or for unknown (an open set)', async () => {
      stackone.listAccounts.mockResolvedValueOnce([withStatus('a', 'active'), withStatus('b', 'archived'), withStatus('c', 'error')]);
      const page = await sut.list(tenant, { health: ['unknown', 'broken'] });
      expect(stackone.listAccounts.mock.calls[0][1]).toMatchObject({ status: undefined });
      expect(page.data.map((a) => [a.id, a.health.state, a.status])).toEqual([
        ['b', 'unknown', 'archived'],
        ['c', 'broken', 'error'],
      ]);
    });

    it('with status too: their intersection, and no StackOne call when it is empty', async () => {
      stackone.listAccounts.mockResolvedValueOnce([withStatus('a', 'error')]);
      await sut.list(tenant, { health: ['broken'], status: ['active', 'error'] });
      expect(stackone.listAccounts.mock.calls[0][1]).toMatchObject({ status: ['error'] });
      await expect(sut.list(tenant, { health: ['paused'], status: ['active'] })).resolves.toEqual({ data: [], page: 1, pageSize: 25, hasMore: false });
      expect(stackone.listAccounts).toHaveBeenCalledTimes(1);
    });
  });
});
