import { HttpException } from '@nestjs/common';
import { errorCodes } from 'fastify';
import type { FastifyRequest } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProblemDetailsFilter } from './problem-details.filter';
import { ProblemException } from './problem.exception';

describe('ProblemDetailsFilter.toProblem', () => {
  const filter = new ProblemDetailsFilter();

  it("maps Fastify's errors also when Nest's adapter wraps them in an HttpException", () => {
    const mediaType = new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('text/plain');
    const wrapped = new HttpException(mediaType.message, 415, { cause: mediaType });
    for (const error of [mediaType, wrapped]) {
      expect(filter.toProblem(error)).toMatchObject({ status: 415, slug: 'unsupported-media-type', detail: expect.stringContaining('application/json') });
    }
    const tooLarge = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    expect(filter.toProblem(new HttpException(tooLarge.message, 413, { cause: tooLarge }))).toMatchObject({ status: 413, detail: expect.stringContaining('larger') });
  });

  it('says the body limit, in bytes, in a 413', () => {
    const tooLarge = new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE();
    const request = { routeOptions: { bodyLimit: 16384 } } as unknown as FastifyRequest;
    for (const error of [tooLarge, new HttpException(tooLarge.message, 413, { cause: tooLarge })]) {
      expect(filter.toProblem(error, request)).toMatchObject({ status: 413, detail: 'The request body is larger than the 16384 bytes this service accepts.' });
    }
  });

  it('leaves other HttpExceptions alone', () => {
    expect(filter.toProblem(new HttpException('Nope', 409, { cause: new Error('x') }))).toMatchObject({ status: 409, detail: 'Nope' });
  });

  it('answers a ProblemException as it says, headers included; slug and title default to the status', () => {
    const problem = new ProblemException({ status: 503, slug: 'upstream-down', title: 'Down', detail: 'Try later.', headers: { 'retry-after': '7' } });
    expect(filter.toProblem(problem)).toEqual({ status: 503, slug: 'upstream-down', title: 'Down', detail: 'Try later.', errors: undefined, headers: { 'retry-after': '7' } });
    expect(filter.toProblem(new ProblemException({ status: 401, detail: 'No.' }))).toMatchObject({ status: 401, slug: 'unauthorized', title: 'Unauthorized', detail: 'No.' });
  });

  it("sends headers only from a ProblemException: another exception's `headers` field is not read", () => {
    const duck = Object.assign(new HttpException('Nope', 409), { headers: { 'x-leak': 'yes' } });
    expect(filter.toProblem(duck)).not.toHaveProperty('headers');
  });
});

describe('common/', () => {
  it('is a leaf: imports nothing outside itself', () => {
    const dir = __dirname;
    const outside = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/from '(\.\.\/[^']*)'/g)].map((m) => `${f}: ${m[1]}`));
    expect(outside).toEqual([]);
  });
});
