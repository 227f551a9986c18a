import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { ProblemDetailsFilter } from '../common/problem-details.filter';
import { Problem, ProblemException } from '../common/problem.exception';
import { StackOneApiError } from './stackone-api.error';

/**
 * The longest Retry-After this service sends. StackOne's own value is passed on, but an HTTP-date
 * years ahead (seen: 2099 → 2,300,624,317 s) overflows some clients' timers into a hot retry loop.
 */
export const MAX_RETRY_AFTER_SECONDS = 3600;

function retryAfterHeader(seconds: number): Record<string, string> {
  const bounded = Number.isFinite(seconds) ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds))) : MAX_RETRY_AFTER_SECONDS;
  return { 'retry-after': String(bounded) };
}

/** StackOne failures, mapped to what the caller can act on. Upstream bodies are never passed through. */
export function stackOneProblem(error: StackOneApiError, logger: Logger): ProblemException {
  return new ProblemException(stackOneProblemFields(error, logger), { cause: error });
}

function stackOneProblemFields(error: StackOneApiError, logger: Logger): Problem {
  const { status, upstreamMessage, retryAfterSeconds } = error.options;
  switch (error.kind) {
    case 'timeout':
      return { status: 504, slug: 'upstream-timeout', title: 'StackOne did not answer in time', detail: 'StackOne did not answer within the time budget; try again.' };
    case 'network':
      return { status: 502, slug: 'upstream-unavailable', title: 'StackOne could not be reached', detail: 'The connection to StackOne failed; try again.' };
    case 'invalid-response':
      return { status: 502, slug: 'upstream-invalid-response', title: 'StackOne answered unexpectedly', detail: 'StackOne sent an answer this service could not use.' };
    case 'circuit-open':
      return { status: 503, slug: 'upstream-circuit-open', title: 'StackOne is failing', detail: 'StackOne has been failing; calls are paused briefly. Try again after Retry-After seconds.', headers: retryAfterHeader(retryAfterSeconds ?? 1) };
    case 'rate-limited':
      return { status: 503, slug: 'upstream-rate-limited', title: 'StackOne request budget exhausted', detail: 'This service has used its StackOne request budget for now. Try again after Retry-After seconds.', headers: retryAfterHeader(retryAfterSeconds ?? 1) };
    case 'tenant-rate-limited':
      return { status: 429, slug: 'tenant-upstream-budget', title: 'Tenant StackOne budget exhausted', detail: "Your tenant has used its share of this service's StackOne request budget for now. Try again after Retry-After seconds.", headers: retryAfterHeader(retryAfterSeconds ?? 1) };
    case 'http':
      break;
  }
  if (status === 400 || status === 422) {
    return { status: 422, slug: 'upstream-rejected', title: 'StackOne rejected the request', detail: upstreamMessage ?? 'StackOne rejected the request.' };
  }
  if (status === 404) {
    return { status: 404, slug: 'not-found', title: 'Not Found', detail: 'The requested resource does not exist.' };
  }
  if (status === 401 || status === 403) {
    logger.error(`StackOne refused this service's API key on ${error.operation} (${status}): check STACKONE_API_KEY and the project's permissions.`);
    return { status: 502, slug: 'upstream-misconfigured', title: 'This service is misconfigured', detail: 'The service could not authenticate to StackOne. Its operators have been alerted.' };
  }
  if (status === 429) {
    return { status: 429, slug: 'upstream-rate-limited', title: 'StackOne is rate limiting', detail: 'StackOne is rate limiting this service; try again after Retry-After seconds.', headers: retryAfterHeader(retryAfterSeconds ?? 1) };
  }
  return { status: 502, slug: 'upstream-error', title: 'StackOne failed', detail: `StackOne answered ${status ?? 'an error'}; try again later.` };
}

/** Answers a StackOneApiError that reaches the edge as its problem, through the one problem filter. */
@Catch(StackOneApiError)
export class StackOneProblemFilter implements ExceptionFilter<StackOneApiError> {
  private readonly logger = new Logger('ProblemDetails');
  private readonly problems = new ProblemDetailsFilter();

  catch(error: StackOneApiError, host: ArgumentsHost): void {
    this.problems.catch(stackOneProblem(error, this.logger), host);
  }
}
