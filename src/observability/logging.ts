import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as PinoLogger } from 'pino';
import type { AllConfig } from '../app.config';

/**
 * Paths censored wherever they appear. Request lines are built field by field (see
 * request-logging.ts), so redaction is the second line of defence for anything logged by hand.
 */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'token',
  'apiKey',
  'password',
  'secret',
  'credentials',
  'setup_information',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.secret',
  '*.credentials',
  '*.setup_information',
];

/** The process's one pino logger: JSON lines to stdout (or the given stream, in tests). */
export function createRootLogger(config: AllConfig, destination?: DestinationStream): PinoLogger {
  const options = {
    level: config.app.logLevel,
    base: { service: 'stackone-connect-service' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string): Record<string, string> => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * A child of the root logger for lines built from named scalar fields only (the per-request line),
 * without the redaction pass: none of their keys can match a redact path, and walking the wildcard
 * paths cost ~10 us per line (about 5% of a connect session's CPU). Anything logged by hand goes
 * through the root logger and stays redacted.
 */
export function namedFieldsLogger(root: PinoLogger): PinoLogger {
  return root.child({}, { redact: { paths: [] } });
}

/**
 * Nest's own start-up narration (~45 lines: each module initialised, each route mapped), shown at
 * debug only; the service's own start-up line (Bootstrap) stays at info. Their warnings and errors
 * keep their level.
 */
const NEST_START_UP = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest passes (message, context) or, for errors, (message, stack, context). */
function contextOf(rest: unknown[]): string | undefined {
  const last = rest[rest.length - 1];
  return typeof last === 'string' ? last : undefined;
}

/**
 * Nest's Logger on top of pino, so framework and service messages are the same JSON lines.
 * (nestjs-pino 5.2's request middleware logged nothing on NestJS 12 + Fastify in our check, and it
 * keeps one process-global root logger; this adapter and the Fastify hooks in request-logging.ts
 * do the same job in a few lines.)
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write(NEST_START_UP.has(contextOf(rest) ?? '') ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context = contextOf(rest);
    const stack = level === 'error' && rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (stack) fields.stack = stack;
    if (message instanceof Error) this.logger[level]({ ...fields, err: { type: message.name, message: message.message } }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...(message) });
    else this.logger[level](fields, String(message));
  }
}
