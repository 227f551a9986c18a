import { loadConfig } from '../config/load-config';
import { createRootLogger, namedFieldsLogger } from './logging';

function capture(): { write: (line: string) => void; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  return { write: (line) => raw.push(line), lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('createRootLogger', () => {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: 'a-test-secret-that-is-long-enough-0123456789' });

  it('redacts secret-bearing keys logged by hand, at the top level and one level down', () => {
    const out = capture();
    const logger = createRootLogger(config, out);
    logger.info({ token: 't1', authorization: 'Bearer t2', headers: { authorization: 'Bearer t3', cookie: 'c' }, account: { credentials: { pw: 'p' }, setup_information: 's', id: 'acc_1' } }, 'by hand');
    const [line] = out.lines();
    expect(line).toMatchObject({ token: '[redacted]', authorization: '[redacted]', headers: { authorization: '[redacted]', cookie: '[redacted]' } });
    expect(line.account).toEqual({ credentials: '[redacted]', setup_information: '[redacted]', id: 'acc_1' });
  });

  it('keeps redacting on the root logger after the request logger (a child without redaction) was made', () => {
    const out = capture();
    const logger = createRootLogger(config, out);
    namedFieldsLogger(logger).info({ status: 201 }, 'request completed');
    logger.info({ token: 't1' }, 'by hand');
    expect(out.lines().map((l) => l.token)).toEqual([undefined, '[redacted]']);
  });
});
