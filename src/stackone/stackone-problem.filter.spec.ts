import { Logger } from '@nestjs/common';
import { Problem } from '../common/problem.exception';
import { StackOneApiError } from './stackone-api.error';
import { parseRetryAfter } from './stackone.wire-checks';
import { MAX_RETRY_AFTER_SECONDS, stackOneProblem } from './stackone-problem.filter';

describe('stackOneProblem', () => {
  const logger = new Logger('test');
  const errorSpy = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  afterEach(() => errorSpy.mockClear());

  const problem = (error: StackOneApiError): Problem => stackOneProblem(error, logger).toProblem();
  const http = (status: number, extra: Partial<StackOneApiError['options']> = {}) =>
    new StackOneApiError('http', 'createConnectSession', { status, ...extra });

  it.each([
    [400, 422],
    [422, 422],
    [404, 404],
    [401, 502],
    [403, 502],
    [429, 429],
    [500, 502],
    [503, 502],
    [409, 502],
  ])('StackOne %i → %i', (upstream, ours) => {
    expect(problem(http(upstream)).status).toBe(ours);
  });

  it("passes StackOne's message through for 400/422 only", () => {
    expect(problem(http(400, { upstreamMessage: 'provider not enabled' })).detail).toBe('provider not enabled');
    expect(problem(http(500, { upstreamMessage: 'stack trace at db.js' })).detail).not.toContain('db.js');
    expect(problem(http(401, { upstreamMessage: 'bad key sk_live_x' })).detail).not.toContain('sk_live_x');
  });

  it('logs a refused API key loudly, naming the setting', () => {
    problem(http(401));
    expect(errorSpy).toHaveBeenCalledWith(expect.stringContaining('STACKONE_API_KEY'));
  });

  it('passes Retry-After on for 429, breaker and budget answers', () => {
    expect(problem(http(429, { retryAfterSeconds: 42 })).headers).toEqual({ 'retry-after': '42' });
    const open = problem(new StackOneApiError('circuit-open', 'op', { retryAfterSeconds: 7 }));
    expect([open.status, open.headers]).toEqual([503, { 'retry-after': '7' }]);
    const budget = problem(new StackOneApiError('rate-limited', 'op', { retryAfterSeconds: 3 }));
    expect([budget.status, budget.headers]).toEqual([503, { 'retry-after': '3' }]);
    const share = problem(new StackOneApiError('tenant-rate-limited', 'op', { retryAfterSeconds: 4 }));
    expect([share.status, share.slug, share.headers]).toEqual([429, 'tenant-upstream-budget', { 'retry-after': '4' }]);
  });

  it('caps the Retry-After it sends at an hour, whatever StackOne said (an HTTP-date in 2099 included)', () => {
    const in2099 = parseRetryAfter('Thu, 01 Jan 2099 00:00:00 GMT');
    expect(in2099).toBeGreaterThan(2_000_000_000);
    expect(MAX_RETRY_AFTER_SECONDS).toBe(3600);
    for (const retryAfterSeconds of [in2099, 9_999_999_999, 3601, Number.POSITIVE_INFINITY]) {
      expect(problem(http(429, { retryAfterSeconds })).headers).toEqual({ 'retry-after': '3600' });
      expect(problem(new StackOneApiError('circuit-open', 'op', { retryAfterSeconds })).headers).toEqual({ 'retry-after': '3600' });
    }
    expect(problem(http(429, { retryAfterSeconds: 3600 })).headers).toEqual({ 'retry-after': '3600' });
    expect(problem(http(429, { retryAfterSeconds: 0 })).headers).toEqual({ 'retry-after': '1' });
  });

  it('maps timeouts to 504 and network or broken answers to 502', () => {
    expect(problem(new StackOneApiError('timeout', 'op')).status).toBe(504);
    expect(problem(new StackOneApiError('network', 'op')).status).toBe(502);
    expect(problem(new StackOneApiError('invalid-response', 'op')).status).toBe(502);
  });
});
