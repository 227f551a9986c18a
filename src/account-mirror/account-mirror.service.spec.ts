import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { accountMirrorProviders } from '../../test/support/account-mirror';
import { testConfigModule } from '../../test/support/config';
import { describeWithRedis, redisForTests, redisTestPrefix, redisUrl } from '../../test/support/redis';
import { AccountEvent } from '../account-events/account-event';
import { AccountsService } from '../accounts/accounts.service';
import { EventBus } from '../event-bus/event-bus';
import { Tenant } from '../auth/tenant';
import { RawEnv } from '../config/load-config';
import { MetricsService } from '../observability/metrics.service';
import { RedisHealth } from '../redis/redis-health';
import { REDIS } from '../redis/redis.client';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { LinkedAccountWire } from '../stackone/stackone.types';
import { AccountMirror } from './account-mirror.service';

const tenant: Tenant = { id: 'org_1', name: 'Acme Inc', via: 'jwt', principal: 'user-1' };
const WEBHOOKS: RawEnv = { STACKONE_WEBHOOK_SECRET: 'whsec_test_mirror' };

const account = (id: string, overrides: Partial<LinkedAccountWire> = {}): LinkedAccountWire => ({
  id,
  provider: 'hibob',
  origin_owner_id: tenant.id,
  origin_owner_name: tenant.name,
  status: 'active',
  created_at: '2026-11-01T00:00:00.000Z',
  updated_at: '2026-11-01T00:00:00.000Z',
  ...overrides,
});

const event = (type: AccountEvent['type'], accountId: string, overrides: Partial<AccountEvent> = {}): AccountEvent => ({
  type,
  accountId,
  provider: 'hibob',
  tenantId: tenant.id,
  occurredAt: '2026-11-25T10:00:00.000Z',
  receivedAt: '2026-11-25T10:00:01.000Z',
  ...overrides,
});

interface Built {
  sut: AccountsService;
  events: EventBus;
  health: RedisHealth;
  stackone: { listAccounts: jest.Mock; getAccount: jest.Mock; deleteAccount: jest.Mock; updateAccount: jest.Mock };
  close: () => Promise<void>;
}

async function build(env: RawEnv, redis: Redis | null = null): Promise<Built> {
  const stackone = { listAccounts: jest.fn(), getAccount: jest.fn(), deleteAccount: jest.fn(), updateAccount: jest.fn() };
  const moduleRef = await Test.createTestingModule({
    imports: [testConfigModule(env)],
    providers: [AccountsService, MetricsService, { provide: StackOneHttpService, useValue: stackone }, ...accountMirrorProviders()],
  })
    .overrideProvider(REDIS)
    .useValue(redis)
    .compile();
  await moduleRef.init();
  return { sut: moduleRef.get(AccountsService), events: moduleRef.get(EventBus), health: moduleRef.get(RedisHealth), stackone, close: () => moduleRef.close() };
}

describe(`${AccountMirror.name}: the accountAction preview (AccountsService.findForProvider)`, () => {
  describe('with webhooks configured', () => {
    let b: Built;
    beforeEach(async () => {
      b = await build(WEBHOOKS);
    });

    it('asks StackOne on the first preview only, then answers from the mirror (positive)', async () => {
      b.stackone.listAccounts.mockResolvedValue([account('old'), account('new', { created_at: '2026-11-02T00:00:00.000Z' })]);
      expect(await b.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'new' });
      expect(await b.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'new' });
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(1);
    });

    it('mirrors "none" too, and an account.created event then turns it into that account without a look-up', async () => {
      b.stackone.listAccounts.mockResolvedValue([]);
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      await b.events.publish(event('account.created', 'acc_9'));
      expect(await b.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'acc_9' });
      await b.events.publish(event('account.deleted', 'acc_9'));
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(1);
    });

    it("keeps other owners out: their events touch nothing, and accounts StackOne mis-lists are neither answered nor mirrored", async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      b.stackone.listAccounts.mockResolvedValue([account('foreign', { origin_owner_id: 'org_2', origin_owner_name: 'Other' })]);
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      await b.events.publish(event('account.created', 'theirs', { tenantId: 'org_2' }));
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(1);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('of other owners'));
      logged.mockRestore();
    });

    it('does not mirror a full page: more accounts may follow it, so the next preview asks again', async () => {
      b.stackone.listAccounts.mockResolvedValue(Array.from({ length: 100 }, (_, i) => account(`a${i}`)));
      await b.sut.findForProvider(tenant, 'hibob');
      await b.sut.findForProvider(tenant, 'hibob');
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(2);
    });

    it('learns from a delete through the service: the preview says create next', async () => {
      b.stackone.listAccounts.mockResolvedValue([account('acc_1')]);
      expect(await b.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'acc_1' });
      b.stackone.getAccount.mockResolvedValue(account('acc_1'));
      b.stackone.deleteAccount.mockResolvedValue(undefined);
      await b.sut.remove(tenant, 'acc_1');
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(1);
    });

    it('learns from a list answer: an account it missed (a lost webhook) is named once a list shows it', async () => {
      b.stackone.listAccounts.mockResolvedValueOnce([]);
      expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      b.stackone.listAccounts.mockResolvedValueOnce([account('seen'), account('foreign', { origin_owner_id: 'org_2' })]);
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      await b.sut.list(tenant, {});
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('of other owners'));
      logged.mockRestore();
      expect(await b.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'seen' });
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(2);
    });
  });

  it('without webhooks, every preview asks StackOne and events change nothing', async () => {
    const b = await build({});
    b.stackone.listAccounts.mockResolvedValue([]);
    await b.events.publish(event('account.created', 'acc_9'));
    expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
    expect(await b.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
    expect(b.stackone.listAccounts).toHaveBeenCalledTimes(2);
  });

  it('an entry expires after ACCOUNT_MIRROR_TTL_SECONDS: the next preview asks again', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const b = await build({ ...WEBHOOKS, ACCOUNT_MIRROR_TTL_SECONDS: '60' });
      b.stackone.listAccounts.mockResolvedValue([]);
      await b.sut.findForProvider(tenant, 'hibob');
      jest.advanceTimersByTime(59_000);
      await b.sut.findForProvider(tenant, 'hibob');
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(2_000);
      await b.sut.findForProvider(tenant, 'hibob');
      expect(b.stackone.listAccounts).toHaveBeenCalledTimes(2);
    } finally {
      jest.useRealTimers();
    }
  });

  describeWithRedis('on Redis', () => {
    const redis = redisForTests({ maxRetriesPerRequest: 1, enableOfflineQueue: false });

    it('two replicas share it; while Redis is degraded each asks StackOne and stores nothing', async () => {
      const env = { ...WEBHOOKS, REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: redisTestPrefix() };
      const one = await build(env, redis());
      const two = await build(env, redis());
      one.stackone.listAccounts.mockResolvedValue([]);
      expect(await one.sut.findForProvider(tenant, 'hibob')).toBeUndefined();
      await two.events.publish(event('account.created', 'acc_2'));
      expect(await one.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'acc_2' });
      expect(one.stackone.listAccounts).toHaveBeenCalledTimes(1);

      one.health.failed(new Error('test: degraded'));
      one.stackone.listAccounts.mockResolvedValue([account('from_stackone', { created_at: '2026-12-01T00:00:00.000Z' })]);
      expect(await one.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'from_stackone' });
      expect(one.stackone.listAccounts).toHaveBeenCalledTimes(2);
      // Nothing was written while degraded: the other replica still sees the shared entry.
      expect(await two.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'acc_2' });
      expect(two.stackone.listAccounts).not.toHaveBeenCalled();
      await Promise.all([one.close(), two.close()]);
    });

    it('an event that missed Redis while it was degraded drops its entry once Redis is back, for every replica', async () => {
      const prefix = redisTestPrefix();
      const env = { ...WEBHOOKS, REDIS_URL: redisUrl as string, REDIS_KEY_PREFIX: prefix };
      const one = await build(env, redis());
      const two = await build(env, redis());
      one.stackone.listAccounts.mockResolvedValue([]);
      two.stackone.listAccounts.mockResolvedValue([account('acc_3')]);
      expect(await one.sut.findForProvider(tenant, 'hibob')).toBeUndefined();

      one.health.failed(new Error('test: degraded'));
      await one.events.publish(event('account.created', 'acc_3'));
      // Redis itself was fine: the PING probe brings `one` back within a second, and it drops the entry.
      for (let i = 0; i < 40 && (await redis().exists(`${prefix}mirror:5:org_1:hibob`)) === 1; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await two.sut.findForProvider(tenant, 'hibob')).toEqual({ id: 'acc_3' });
      expect(two.stackone.listAccounts).toHaveBeenCalledTimes(1);
      await Promise.all([one.close(), two.close()]);
    }, 10_000);
  });
});
