import { Logger } from '@nestjs/common';
import { AccountEvent } from './account-event';
import { AccountEvents, RedeliveryNeededError } from './account-events.service';

const event: AccountEvent = {
  type: 'account.created',
  accountId: 'acc_1',
  provider: 'hibob',
  tenantId: 'org_1',
  occurredAt: '2026-11-25T10:00:00.000Z',
  receivedAt: '2026-11-25T10:00:01.000Z',
};

describe(AccountEvents.name, () => {
  it('hands each event to every subscriber in turn, and one failing does not stop the others', async () => {
    const sut = new AccountEvents();
    const seen: string[] = [];
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    sut.subscribe('first', async (e) => {
      seen.push(`first:${e.accountId}`);
      await Promise.resolve();
    });
    sut.subscribe('broken', () => Promise.reject(new TypeError('boom')));
    sut.subscribe('last', (e) => {
      seen.push(`last:${e.type}`);
      return Promise.resolve();
    });
    await sut.publish(event);
    expect(seen).toEqual(['first:acc_1', 'last:account.created']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('broken failed on account.created for account acc_1: TypeError'));
    warn.mockRestore();
  });

  it('reports redeliver when a handler could not take the event in, after running the others', async () => {
    const sut = new AccountEvents();
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const seen: string[] = [];
    sut.subscribe('plain-failure', () => Promise.reject(new Error('store down')));
    expect(await sut.publish(event)).toEqual({ redeliver: false });
    sut.subscribe('relay', () => Promise.reject(new RedeliveryNeededError('not queued')));
    sut.subscribe('after', () => Promise.resolve(void seen.push('after')));
    expect(await sut.publish(event)).toEqual({ redeliver: true });
    expect(seen).toEqual(['after']);
    warn.mockRestore();
  });
});
