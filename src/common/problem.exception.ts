import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { FieldError } from './problem';

/** What an error answer says: the problem+json body's fields, and the headers sent with it. */
export interface Problem {
  status: number;
  /** The problem type's slug; the body's `type` is its URN (see problemType). */
  slug: string;
  title: string;
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

/**
 * The one exception the problem filter knows besides Nest's and Fastify's: features throw it, or
 * map their own errors to it. `cause` (a 5xx's underlying failure) is logged with its message, so
 * it must carry nothing secret. Slug and title default to the status's reason phrase.
 */
export class ProblemException extends HttpException {
  readonly slug: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(problem: Omit<Problem, 'slug' | 'title'> & Partial<Pick<Problem, 'slug' | 'title'>>, options?: { cause?: Error }) {
    const title = problem.title ?? STATUS_CODES[problem.status] ?? 'Error';
    // Nest's own body shape, so code reading getResponse() sees what Nest's exceptions give it.
    super({ statusCode: problem.status, message: problem.detail ?? title, error: title }, problem.status, options);
    this.slug = problem.slug ?? slugFor(problem.status);
    this.title = title;
    this.detail = problem.detail;
    this.errors = problem.errors;
    this.headers = problem.headers ?? {};
  }

  toProblem(): Problem {
    return { status: this.getStatus(), slug: this.slug, title: this.title, detail: this.detail, errors: this.errors, headers: this.headers };
  }
}

/** How long a 503 for one of our own dependencies (Redis, the identity provider's keys) asks the caller to wait. */
export const RETRY_LATER_SECONDS = 5;

/** 503 with Retry-After: something this service depends on cannot be used right now; `detail` says what to retry. */
export class RetryLaterException extends ProblemException {
  constructor(detail: string) {
    super({ status: 503, detail, headers: { 'Retry-After': String(RETRY_LATER_SECONDS) } });
  }
}

/** `Service Unavailable` → `service-unavailable`. */
export function slugFor(status: number): string {
  const text = STATUS_CODES[status] ?? 'error';
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
