import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createSandbox } from '../../sandbox/sandbox';
import type { Sandbox } from '../../sandbox/sandbox';
import { createApp } from '../../src/app.factory';
import type { RawEnv } from '../../src/config/load-config';
import { TEST_STACKONE_KEY, testConfig } from './config';
import { LogCapture } from './logs';
import { startStackOneStandIn, StackOneStandIn } from './stackone-stand-in';

export interface TestService {
  app: NestFastifyApplication;
  http: () => ReturnType<typeof request>;
  logs: LogCapture;
  /** Listens on a free loopback port, for clients that need a real server (fetch, raw sockets). */
  listen: () => Promise<{ base: string; port: number }>;
  close: () => Promise<void>;
}

/** Boots the real app (Fastify, all modules) against `stackoneUrl`, with logs captured. */
export async function startService(stackoneUrl: string, env: RawEnv = {}): Promise<TestService> {
  const config = testConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', STACKONE_BASE_URL: stackoneUrl, SHUTDOWN_GRACE_MS: '0', ...env });
  const logs = new LogCapture();
  const app = await createApp(config, { logDestination: logs });
  return {
    app,
    http: () => request(app.getHttpServer()),
    logs,
    listen: async () => {
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      return { base: `http://127.0.0.1:${port}`, port };
    },
    close: () => app.close(),
  };
}

export interface ServiceOverSandbox {
  sandbox: Sandbox;
  svc: TestService;
}

/**
 * For one describe block: a sandbox keyed with TEST_STACKONE_KEY and the real app (`env`) in front
 * of it, started before the block's tests and closed after them. Read the fields inside tests and hooks.
 */
export function serviceOverSandbox(env: RawEnv = {}): ServiceOverSandbox {
  const ctx = {} as ServiceOverSandbox;
  beforeAll(async () => {
    ctx.sandbox = await createSandbox({ apiKey: TEST_STACKONE_KEY });
    ctx.svc = await startService(ctx.sandbox.url, env);
  });
  afterAll(async () => {
    await ctx.svc?.close();
    await ctx.sandbox?.close();
  });
  return ctx;
}

export interface ServiceOverStandIn {
  standIn: StackOneStandIn;
  svc: TestService;
}

/** serviceOverSandbox's twin over the scriptable StackOne stand-in (test/support/stackone-stand-in.ts). */
export function serviceOverStandIn(env: RawEnv = {}): ServiceOverStandIn {
  const ctx = {} as ServiceOverStandIn;
  beforeAll(async () => {
    ctx.standIn = await startStackOneStandIn();
    ctx.svc = await startService(ctx.standIn.url, env);
  });
  afterAll(async () => {
    await ctx.svc?.close();
    await ctx.standIn?.close();
  });
  return ctx;
}
