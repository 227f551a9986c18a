import type { Provider } from '@nestjs/common';
import { AccountEvents } from '../../src/account-events/account-events.service';
import { AccountMirror } from '../../src/account-mirror/account-mirror.service';
import { RedisHealth } from '../../src/redis/redis-health';
import { REDIS } from '../../src/redis/redis.client';
import { stateProviders } from '../../src/state/state.module';

/** What AccountsService needs beside StackOne in a unit test: the mirror in memory (its store from the state layer), and the event bus it listens to. */
export function accountMirrorProviders(): Provider[] {
  return [AccountMirror, AccountEvents, RedisHealth, ...stateProviders(), { provide: REDIS, useValue: null }];
}
