import { Injectable, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AccountEvent } from '../account-events/account-event';
import type { SessionEvent } from '../connect-sessions/session-event';
import { EventBus, HandlerOutcome, OnEvent } from './event-bus';
import { EventBusModule } from './event-bus.module';
import { BusEvent } from './event-map';

const event: AccountEvent = {
  type: 'account.created',
  accountId: 'acc_1',
  provider: 'hibob',
  tenantId: 'org_1',
  occurredAt: '2026-11-25T10:00:00.000Z',
  receivedAt: '2026-11-25T10:00:01.000Z',
};

const expired: SessionEvent = { type: 'connect_session.expired', tenantId: 'org_1', sessionId: 'ses_1', status: 'expired', occurredAt: '2026-11-25T10:00:00.000Z' };

const taken = (): Promise<HandlerOutcome> => Promise.resolve('taken');

describe(EventBus.name, () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  async function bus(...providers: Array<new (...args: never[]) => object>): Promise<{ sut: EventBus; get: <T>(type: new (...args: never[]) => T) => T }> {
    const moduleRef = await Test.createTestingModule({ imports: [EventBusModule], providers }).compile();
    await moduleRef.init();
    return { sut: moduleRef.get(EventBus), get: (type) => moduleRef.get(type) };
  }

  it('hands each event to every subscriber in turn, and one failing does not stop the others', async () => {
    const { sut } = await bus();
    const seen: string[] = [];
    sut.subscribe('first', ['account.created'], async (e) => {
      seen.push(`first:${e.accountId}`);
      return Promise.resolve('taken');
    });
    sut.subscribe('broken', ['account.created'], () => Promise.reject(new TypeError('boom')));
    sut.subscribe('last', ['account.created'], (e) => {
      seen.push(`last:${e.type}`);
      return taken();
    });
    expect(await sut.publish(event)).toBe('taken');
    expect(seen).toEqual(['first:acc_1', 'last:account.created']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('broken failed on account.created for account acc_1: TypeError'));
  });

  it('reports deliver-again when a handler could not take the event in, after running the others; a throw is not one', async () => {
    const { sut } = await bus();
    const seen: string[] = [];
    sut.subscribe('plain-failure', ['account.created'], () => Promise.reject(new Error('store down')));
    expect(await sut.publish(event)).toBe('taken');
    sut.subscribe('relay', ['account.created'], () => Promise.resolve('deliver-again'));
    sut.subscribe('after', ['account.created'], () => Promise.resolve(seen.push('after')).then(taken));
    expect(await sut.publish(event)).toBe('deliver-again');
    expect(seen).toEqual(['after']);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('relay could not take in account.created for account acc_1'));
  });

  it('hands an event only to the handlers of its type', async () => {
    const { sut } = await bus();
    const seen: string[] = [];
    sut.subscribe('accounts', ['account.created', 'account.deleted'], (e) => Promise.resolve(seen.push(`accounts:${e.type}`)).then(taken));
    sut.subscribe('sessions', ['connect_session.expired'], (e) => Promise.resolve(seen.push(`sessions:${e.sessionId}`)).then(taken));
    await sut.publish(event);
    await sut.publish({ ...event, type: 'account.updated' });
    await sut.publish(expired);
    expect(seen).toEqual(['accounts:account.created', 'sessions:ses_1']);
  });

  it('runs lower priorities first, and handlers of one priority side by side', async () => {
    const { sut } = await bus();
    const seen: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    sut.subscribe('later', ['account.created'], () => Promise.resolve(seen.push('later')).then(taken));
    // Waits for its neighbour of the same priority: would never finish if they ran in turn.
    sut.subscribe('first-a', ['account.created'], () => held.then(() => seen.push('first-a')).then(taken), { priority: -1 });
    sut.subscribe('first-b', ['account.created'], () => Promise.resolve(release()).then(() => seen.push('first-b')).then(taken), { priority: -1 });
    await sut.publish(event);
    expect(seen.slice(0, 2).sort()).toEqual(['first-a', 'first-b']);
    expect(seen[2]).toBe('later');
  });

  it('finds @OnEvent handlers on providers at start-up, typed by the event map', async () => {
    @Injectable()
    class Recorder {
      readonly seen: BusEvent[] = [];
      @OnEvent(['account.created', 'connect_session.expired'])
      record(e: BusEvent<'account.created' | 'connect_session.expired'>): Promise<HandlerOutcome> {
        this.seen.push(e);
        return Promise.resolve(e.type === 'connect_session.expired' ? 'deliver-again' : 'taken');
      }
      /** Not decorated: never called by the bus. */
      other(): Promise<HandlerOutcome> {
        throw new Error('not a handler');
      }
    }
    const { sut, get } = await bus(Recorder);
    expect(await sut.publish(event)).toBe('taken');
    expect(await sut.publish({ ...event, type: 'account.deleted' })).toBe('taken');
    expect(await sut.publish(expired)).toBe('deliver-again');
    expect(get(Recorder).seen).toEqual([event, expired]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Recorder.record could not take in connect_session.expired for session ses_1'));
  });
});
