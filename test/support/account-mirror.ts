import type { Provider } from '@nestjs/common';
import { AccountEvents } from '../../src/account-events/account-events.service';
import { AccountMirror } from '../../src/account-mirror/account-mirror.service';
import { SelfEdits } from '../../src/accounts/self-edits';
import { RedisHealth } from '../../src/redis/redis-health';
import { REDIS } from '../../src/redis/redis.client';
import { stateProviders } from '../../src/state/state.module';

/** What AccountsService needs beside StackOne in a unit test: the mirror and the self-edit marks in memory (their stores from the state layer), and the event bus the mirror listens to. */
export function accountMirrorProviders(): Provider[] {
  return [AccountMirror, SelfEdits, AccountEvents, RedisHealth, ...stateProviders(), { provide: REDIS, useValue: null }];
}
