import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { ProblemDetailsDto } from './problem-details.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (problem+json with errors[])',
  401: 'Missing or invalid credentials (WWW-Authenticate says which)',
  403: 'The credential may not act for that tenant',
  404: 'Not found (also for resources of other tenants)',
  409: 'A request with the same Idempotency-Key is still in progress',
  413: 'Body too large',
  422: 'StackOne rejected the request (its message is in detail)',
  429: 'Rate limited (Retry-After)',
  502: 'StackOne failed or is misconfigured',
  503: 'StackOne is failing or the request budget is exhausted (Retry-After)',
  504: 'StackOne did not answer in time',
};

/** Documents error answers with the problem+json schema. */
export function ApiProblemResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? STATUS_CODES[status],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      }),
    ),
  );
}

export { ProblemDetailsDto };
