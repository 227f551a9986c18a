import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/**
 * Every log line written while a test runs, kept so tests can search them (for secrets, for a
 * line they expect) and kept off the test output. One capture serves both loggers the code uses:
 * pass it as pino's destination (`createApp(config, { logDestination })`, `createRootLogger`) or
 * as a Nest logger (`Logger.overrideLogger(logs)`, `moduleRef.useLogger(logs)`).
 */
export class LogCapture implements LoggerService {
  readonly lines: string[] = [];

  /** pino's destination: one JSON line per call. */
  write(line: string): void {
    this.lines.push(line);
  }

  /** Everything, as one text (search it with toContain / toMatch). */
  text(): string {
    return this.lines.join('');
  }

  /** The JSON lines pino wrote, parsed. */
  parsed(): Record<string, unknown>[] {
    return this.lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  clear(): void {
    this.lines.length = 0;
  }

  // Nest's LoggerService: objects and errors printed in full (inspect), as a careless log call would.
  log = (...parts: unknown[]): void => this.nest(parts);
  error = (...parts: unknown[]): void => this.nest(parts);
  warn = (...parts: unknown[]): void => this.nest(parts);
  debug = (...parts: unknown[]): void => this.nest(parts);
  verbose = (...parts: unknown[]): void => this.nest(parts);
  fatal = (...parts: unknown[]): void => this.nest(parts);

  private nest(parts: unknown[]): void {
    this.lines.push(`${parts.map((p) => (typeof p === 'string' ? p : inspect(p, { depth: 10 }))).join(' ')}\n`);
  }
}
