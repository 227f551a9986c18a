import { TEST_STACKONE_KEY } from './support/config';
import { TEST_JWT_SECRET } from './support/jwt';
import { freePort, startServiceProcess } from './support/processes';

/**
 * REDIS_URL set but Redis unreachable at start-up (a typo, a closed port): by default the service
 * starts degraded, as before; REDIS_REQUIRED=true refuses to start, naming host:port and never
 * the URL's password. Needs no Redis: the point is a port where none answers.
 */
describe('REDIS_REQUIRED', () => {
  const PASSWORD = 'redis-pw-must-not-leak-3f9c';
  const env = async (required: string): Promise<Record<string, string>> => ({
    STACKONE_API_KEY: TEST_STACKONE_KEY,
    STACKONE_BASE_URL: 'http://127.0.0.1:9',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    // A free port: nothing listens there.
    REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`,
    REDIS_REQUIRED: required,
    LOG_LEVEL: 'info',
  });

  it('true: exits non-zero with a message naming host:port, never the password', async () => {
    const e = await env('true');
    const hostPort = new URL(e.REDIS_URL).host;
    let output = '';
    await startServiceProcess(e, { timeoutMs: 20_000 }).then(
      async (svc) => {
        await svc.stop();
        throw new Error('the service started although Redis was required and unreachable');
      },
      (err: Error) => (output = err.message),
    );
    expect(output).toMatch(/exited early \(1\)/);
    expect(output).toContain(`Redis at ${hostPort} did not answer at start-up`);
    expect(output).toContain('REDIS_REQUIRED is true: refusing to start');
    expect(output).not.toContain(PASSWORD);
    // One clear refusal, not a degraded-mode line first.
    expect(output).not.toContain('Degraded:');
  }, 30_000);

  it('false (the default): starts degraded, as before', async () => {
    const svc = await startServiceProcess(await env('false'), { timeoutMs: 20_000 });
    try {
      const ready = await fetch(`${svc.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ details: { redis: { mode: 'degraded' } } });
      expect(svc.output()).toContain('Redis unreachable');
      expect(svc.output()).not.toContain(PASSWORD);
    } finally {
      await svc.stop();
    }
  }, 30_000);
});
