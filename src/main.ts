import './compile-cache';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { loadConfig } from './app.config';
import { ConfigError, readEnvironment } from './config/load-config';
import { StartupError } from './config/startup-error';
import { releaseStartupMemoryWhenIdle } from './startup-memory';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig(readEnvironment());
  } catch (err) {
    if (err instanceof ConfigError) {
      // Start-up refusal: name the variables, never their values.
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  let app;
  try {
    app = await createApp(config);
  } catch (err) {
    if (err instanceof StartupError) {
      // Its message says what to fix and carries no secret (e.g. Redis is named by host:port only).
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // useProcessExit: exit through process.exit so pino's buffered lines (the shutdown log) are
  // flushed; re-raising the signal killed the process before they were written.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
  await app.listen(config.app.port, config.app.host);
  new Logger('Bootstrap').log(`Listening on http://${config.app.host}:${config.app.port}${config.app.apiDocsEnabled ? ' (docs at /docs)' : ''}`);
  releaseStartupMemoryWhenIdle();
}

void bootstrap();
