import type { DynamicModule } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { type AllConfig, loadConfig } from '../../src/app.config';
import { ConfigError, type RawEnv } from '../../src/config/load-config';
import { TEST_JWT_SECRET } from './jwt';

/** The StackOne API key of the apps the specs boot, and of the sandboxes and stand-ins they point at. */
export const TEST_STACKONE_KEY = 'sk_test_stackone_key_do_not_leak_7f3a';

/**
 * The typed config, validated as at start-up, from `env` over a minimal valid environment
 * (TEST_STACKONE_KEY, TEST_JWT_SECRET). Pass `AUTH_JWT_SECRET: undefined` for another auth mode.
 */
export function testConfig(env: RawEnv = {}): AllConfig {
  return loadConfig({ STACKONE_API_KEY: TEST_STACKONE_KEY, AUTH_JWT_SECRET: TEST_JWT_SECRET, ...env });
}

/** A ConfigService as the app's ConfigModule provides it, over `testConfig(env)` or a config built by hand. */
export function testConfigService(from: RawEnv | AllConfig = {}): ConfigService<AllConfig, true> {
  return new ConfigService<AllConfig, true>(isConfig(from) ? from : testConfig(from));
}

class TestConfigModule {}

/** A global module exporting that ConfigService, to import in `Test.createTestingModule`. */
export function testConfigModule(from: RawEnv | AllConfig = {}): DynamicModule {
  return { module: TestConfigModule, global: true, providers: [{ provide: ConfigService, useValue: testConfigService(from) }], exports: [ConfigService] };
}

function isConfig(from: RawEnv | AllConfig): from is AllConfig {
  return typeof (from as AllConfig).stackone === 'object';
}

/** The start-up error `loadConfig(env)` throws (its message), failing the test when `env` is accepted. */
export function configRefusal(env: RawEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}
