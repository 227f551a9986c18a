import { testConfig } from '../../test/support/config';
import { LogCapture } from '../../test/support/logs';
import { createRootLogger, namedFieldsLogger } from './logging';

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
