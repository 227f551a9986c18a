import Fastify, { FastifyInstance } from 'fastify';
import { testConfig } from '../../test/support/config';
import { LogCapture } from '../../test/support/logs';
import { createRootLogger } from './logging';
import { MetricsService } from './metrics.service';
import { RequestContextStore } from './request-context';
import { installRequestLogging } from './request-logging';

describe(installRequestLogging.name, () => {
  let fastify: FastifyInstance;
  let out: LogCapture;

  beforeEach(async () => {
    out = new LogCapture();
    fastify = Fastify();
    installRequestLogging(fastify, createRootLogger(testConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info' }), out), new MetricsService(), new RequestContextStore());
    fastify.get('/status/:code', (request, reply) => reply.status(Number((request.params as { code: string }).code)).send({}));
    await fastify.ready();
  });

  afterEach(() => fastify.close());

  const levelOf = async (status: number): Promise<unknown> => {
    await fastify.inject({ method: 'GET', url: `/status/${status}` });
    const lines = out.parsed().filter((l) => l.msg === 'request completed' && l.status === status);
    expect(lines).toHaveLength(1);
    return lines[0].level;
  };

  it.each([200, 400, 404, 409, 422, 429])('logs a %i at info: the caller is answered, nothing is wrong here', async (status) => {
    expect(await levelOf(status)).toBe('info');
  });

  it('writes no warn line for a burst of 429s', async () => {
    for (let i = 0; i < 20; i += 1) await fastify.inject({ method: 'GET', url: '/status/429' });
    expect(out.parsed().filter((l) => l.msg === 'request completed')).toHaveLength(20);
    expect(out.parsed().filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it.each([500, 502, 503])('logs a %i at error, as before', async (status) => {
    expect(await levelOf(status)).toBe('error');
  });
});
