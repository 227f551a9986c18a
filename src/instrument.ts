/**
 * Preloaded before the app (`node --require ./dist/instrument.js dist/main.js`, as `npm run start:prod`
 * and the image do) so the instrumentations' require hooks are in place before http, undici, ioredis
 * and pino are loaded. dist is CommonJS (no "type" in package.json; Nest 12's ES modules come in
 * through require(esm)), and every module traced is CommonJS or shared by reference, so require hooks
 * suffice: no ESM loader hook is registered. With tracing off (no OTLP endpoint) the SDK is not even loaded.
 */
import './compile-cache';
import { readTracingEnvironment, startupLine, tracingSettings } from './config/tracing';

const settings = tracingSettings(readTracingEnvironment());
if (settings.enabled) {
  // A lazy require, not an import: the SDK's modules load only when tracing is on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./observability/tracing') as typeof import('./observability/tracing')).startTracing(settings);
} else if (settings.reason !== undefined) startupLine('warn', `Tracing off: ${settings.reason}`);
