import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../src/app.factory';
import { loadConfig, RawEnv } from '../../src/config/load-config';

export const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdef0123';
export const TEST_STACKONE_KEY = 'sk_test_stackone_key_do_not_leak_7f3a';

/** Every log line the app wrote, as raw JSON text, so tests can search them for secrets. */
export class LogCapture {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  text(): string {
    return this.lines.join('');
  }
  parsed(): Record<string, unknown>[] {
    return this.lines.flatMap((l) => l.split('\n').filter(Boolean)).map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

export interface TestService {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  logs: LogCapture;
  close: () => Promise<void>;
}

/** Boots the real app (Fastify, all modules) against `stackoneUrl`, with logs captured. */
export async function startService(stackoneUrl: string, env: RawEnv = {}): Promise<TestService> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    STACKONE_API_KEY: TEST_STACKONE_KEY,
    STACKONE_BASE_URL: stackoneUrl,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    SHUTDOWN_GRACE_MS: '0',
    ...env,
  });
  const logs = new LogCapture();
  const app = await createApp(config, { logDestination: logs });
  return {
    app,
    http: () => request(app.getHttpServer()),
    logs,
    close: () => app.close(),
  };
}
