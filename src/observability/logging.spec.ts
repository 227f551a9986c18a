import { testConfig } from '../../test/support/config';
import { LogCapture } from '../../test/support/logs';
import { createRootLogger, namedFieldsLogger, PinoNestLogger } from './logging';

describe('createRootLogger', () => {
  const config = testConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' });

  it('redacts secret-bearing keys logged by hand, at the top level and one level down', () => {
    const out = new LogCapture();
    const logger = createRootLogger(config, out);
    logger.info({ token: 't1', authorization: 'Bearer t2', headers: { authorization: 'Bearer t3', cookie: 'c' }, account: { credentials: { pw: 'p' }, setup_information: 's', id: 'acc_1' } }, 'by hand');
    const [line] = out.parsed();
    expect(line).toMatchObject({ token: '[redacted]', authorization: '[redacted]', headers: { authorization: '[redacted]', cookie: '[redacted]' } });
    expect(line.account).toEqual({ credentials: '[redacted]', setup_information: '[redacted]', id: 'acc_1' });
  });

  it('keeps redacting on the root logger after the request logger (a child without redaction) was made', () => {
    const out = new LogCapture();
    const logger = createRootLogger(config, out);
    namedFieldsLogger(logger).info({ status: 201 }, 'request completed');
    logger.info({ token: 't1' }, 'by hand');
    expect(out.parsed().map((l) => l.token)).toEqual([undefined, '[redacted]']);
  });
});

describe(PinoNestLogger.name, () => {
  const startUp: [string, string][] = [
    ['AppModule dependencies initialized', 'InstanceLoader'],
    ['ConnectSessionsController {/v1/connect-sessions}:', 'RoutesResolver'],
    ['Mapped {/v1/connect-sessions, POST} route', 'RouterExplorer'],
    ['Starting Nest application...', 'NestFactory'],
    ['Nest application successfully started', 'NestApplication'],
  ];

  const linesAt = (level: string): Record<string, unknown>[] => {
    const out = new LogCapture();
    const logger = new PinoNestLogger(createRootLogger(testConfig({ NODE_ENV: 'test', LOG_LEVEL: level }), out));
    for (const [message, context] of startUp) logger.log(message, context);
    logger.log('Listening on http://127.0.0.1:3000 (docs at /docs)', 'Bootstrap');
    logger.warn('Redis unreachable', 'RouterExplorer');
    return out.parsed();
  };

  it("keeps Nest's start-up narration out of the default (info) level, but not the service's own line or warnings", () => {
    expect(linesAt('info').map((l) => [l.level, l.context])).toEqual([
      ['info', 'Bootstrap'],
      ['warn', 'RouterExplorer'],
    ]);
  });

  it('shows the narration at debug', () => {
    const lines = linesAt('debug');
    expect(lines.filter((l) => l.level === 'debug').map((l) => l.msg)).toEqual(startUp.map(([message]) => message));
  });
});
