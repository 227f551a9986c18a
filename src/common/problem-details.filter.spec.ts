import { HttpException, Logger } from '@nestjs/common';
import { errorCodes } from 'fastify';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { parseRetryAfter } from '../stackone/stackone.wire-checks';
import { MAX_RETRY_AFTER_SECONDS, ProblemDetailsFilter, stackOneProblem } from './problem-details.filter';

describe('ProblemDetailsFilter.toSpec', () => {
  const filter = new ProblemDetailsFilter();

  it("maps Fastify's errors also when Nest's adapter wraps them in an HttpException", () => {
    const mediaType = new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain');
    const wrapped = new HttpException(mediaType.message, 415, { cause: mediaType });
    for (const error of [mediaType, wrapped]) {
      expect(filter.toSpec(error)).toMatchObject({ status: 415, slug: 'unsupported-media-type', detail: expect.stringContaining('application/json') });
    }
    const tooLarge = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    expect(filter.toSpec(new HttpException(tooLarge.message, 413, { cause: tooLarge }))).toMatchObject({ status: 413, detail: expect.stringContaining('larger') });
  });

  it('leaves other HttpExceptions alone', () => {
    expect(filter.toSpec(new HttpException('Nope', 409, { cause: new Error('x') }))).toMatchObject({ status: 409, detail: 'Nope' });
  });
});

describe('stackOneProblem', () => {
  const logger = new Logger('test');
  const errorSpy = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
  afterEach(() => errorSpy.mockClear());

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
    expect(stackOneProblem(http(upstream), logger).status).toBe(ours);
  });

  it("passes StackOne's message through for 400/422 only", () => {
    expect(stackOneProblem(http(400, { upstreamMessage: 'provider not enabled' }), logger).detail).toBe('provider not enabled');
    expect(stackOneProblem(http(500, { upstreamMessage: 'stack trace at db.js' }), logger).detail).not.toContain('db.js');
    expect(stackOneProblem(http(401, { upstreamMessage: 'bad key sk_live_x' }), logger).detail).not.toContain('sk_live_x');
  });

  it('logs a refused API key loudly, naming the setting', () => {
    stackOneProblem(http(401), logger);
    expect(errorSpy).toHaveBeenCalledWith(expect.stringContaining('STACKONE_API_KEY'));
  });

  it('passes Retry-After on for 429, breaker and budget answers', () => {
    expect(stackOneProblem(http(429, { retryAfterSeconds: 42 }), logger).headers).toEqual({ 'retry-after': '42' });
    const open = stackOneProblem(new StackOneApiError('circuit-open', 'op', { retryAfterSeconds: 7 }), logger);
    expect([open.status, open.headers]).toEqual([503, { 'retry-after': '7' }]);
    const budget = stackOneProblem(new StackOneApiError('rate-limited', 'op', { retryAfterSeconds: 3 }), logger);
    expect([budget.status, budget.headers]).toEqual([503, { 'retry-after': '3' }]);
    const share = stackOneProblem(new StackOneApiError('tenant-rate-limited', 'op', { retryAfterSeconds: 4 }), logger);
    expect([share.status, share.slug, share.headers]).toEqual([429, 'tenant-upstream-budget', { 'retry-after': '4' }]);
  });

  it('caps the Retry-After it sends at an hour, whatever StackOne said (an HTTP-date in 2099 included)', () => {
    const in2099 = parseRetryAfter('Thu, 01 Jan 2099 00:00:00 GMT');
    expect(in2099).toBeGreaterThan(2_000_000_000);
    expect(MAX_RETRY_AFTER_SECONDS).toBe(3600);
    for (const retryAfterSeconds of [in2099, 9_999_999_999, 3601, Number.POSITIVE_INFINITY]) {
      expect(stackOneProblem(http(429, { retryAfterSeconds }), logger).headers).toEqual({ 'retry-after': '3600' });
      expect(stackOneProblem(new StackOneApiError('circuit-open', 'op', { retryAfterSeconds }), logger).headers).toEqual({ 'retry-after': '3600' });
    }
    expect(stackOneProblem(http(429, { retryAfterSeconds: 3600 }), logger).headers).toEqual({ 'retry-after': '3600' });
    expect(stackOneProblem(http(429, { retryAfterSeconds: 0 }), logger).headers).toEqual({ 'retry-after': '1' });
  });

  it('maps timeouts to 504 and network or broken answers to 502', () => {
    expect(stackOneProblem(new StackOneApiError('timeout', 'op'), logger).status).toBe(504);
    expect(stackOneProblem(new StackOneApiError('network', 'op'), logger).status).toBe(502);
    expect(stackOneProblem(new StackOneApiError('invalid-response', 'op'), logger).status).toBe(502);
  });
});
