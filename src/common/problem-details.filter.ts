import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, problemType } from './problem';
import { Problem, ProblemException, slugFor } from './problem.exception';

/**
 * The single place that writes error answers: every exception (a ProblemException, Nest's,
 * Fastify's, or unexpected) becomes RFC 9457 application/problem+json with the request id.
 * Features map their own errors to a ProblemException; this filter knows none of them.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const problem = this.toProblem(exception, request);
    if (problem.status >= 500) this.log(exception, problem, request);
    sendProblem(reply, request, problem);
  }

  /** `request` lets a 413 say the limit (the route's body limit, in bytes). */
  toProblem(exception: unknown, request?: FastifyRequest): Problem {
    if (exception instanceof ProblemException) return exception.toProblem();
    // Fastify's own errors (body parsing, media type) arrive wrapped in an HttpException by Nest's adapter.
    const fastifyError = fastifyErrorOf(exception);
    if (fastifyError) {
      const status = fastifyError.statusCode as number;
      return { status, slug: slugFor(status), title: STATUS_CODES[status] ?? 'Error', detail: fastifyDetail(fastifyError, status, bodyLimitOf(request)) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return { status, slug: slugFor(status), title: STATUS_CODES[status] ?? 'Error', detail: detailOf(exception) };
    }
    const fastifyStatus = fastifyErrorStatus(exception);
    if (fastifyStatus !== undefined) {
      return {
        status: fastifyStatus,
        slug: slugFor(fastifyStatus),
        title: STATUS_CODES[fastifyStatus] ?? 'Error',
        detail: fastifyDetail(exception as FastifyLikeError, fastifyStatus, bodyLimitOf(request)),
      };
    }
    return { status: 500, slug: 'internal', title: 'Internal Server Error', detail: 'An unexpected error occurred.' };
  }

  private log(exception: unknown, problem: Problem, request: FastifyRequest): void {
    const where = `${request.method} ${routeOf(request)} [${String(request.id)}]`;
    if (exception instanceof ProblemException && exception.cause instanceof Error) {
      // A dependency's failure: its message is safe by ProblemException's contract.
      this.logger.warn(`${where} → ${problem.status}: ${exception.cause.message}`);
    } else if (problem.status === 500) {
      const err = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${where} → 500: ${err.name}: ${err.message}`, err.stack);
    }
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, spec: Problem): void {
  if (reply.sent) return;
  const body: ProblemDetails = {
    type: problemType(spec.slug),
    title: spec.title,
    status: spec.status,
    ...(spec.detail ? { detail: spec.detail } : {}),
    instance: routeOf(request),
    requestId: String(request.id),
    ...(spec.errors ? { errors: spec.errors } : {}),
  };
  for (const [name, value] of Object.entries(spec.headers ?? {})) void reply.header(name, value);
  void reply.status(spec.status).header('content-type', PROBLEM_CONTENT_TYPE).header('cache-control', 'no-store').send(body);
}

/** The path without its query string: query values may carry things that do not belong in bodies or logs. */
function routeOf(request: FastifyRequest): string {
  const url = request.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function detailOf(exception: HttpException): string | undefined {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function fastifyErrorOf(exception: unknown): FastifyLikeError | undefined {
  const candidate = exception instanceof HttpException ? exception.cause : exception;
  const e = candidate as FastifyLikeError | undefined;
  return e && typeof e.code === 'string' && e.code.startsWith('FST_') && fastifyErrorStatus(e) !== undefined ? e : undefined;
}

function fastifyErrorStatus(exception: unknown): number | undefined {
  const e = exception as FastifyLikeError | undefined;
  if (!e || typeof e.statusCode !== 'number' || e.statusCode < 400 || e.statusCode > 599) return undefined;
  return e.statusCode;
}

function bodyLimitOf(request: FastifyRequest | undefined): number | undefined {
  const limit = request?.routeOptions?.bodyLimit;
  return typeof limit === 'number' && Number.isFinite(limit) && limit > 0 ? limit : undefined;
}

function fastifyDetail(e: FastifyLikeError, status: number, bodyLimit?: number): string {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return bodyLimit === undefined
        ? 'The request body is larger than this service accepts.'
        : `The request body is larger than the ${bodyLimit} bytes this service accepts.`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'This API only accepts bodies sent as Content-Type: application/json.';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The JSON body is empty.';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'The Content-Length header does not match the body.';
    default:
      // Fastify's own messages for 4xx (e.g. JSON syntax errors) are safe and useful; hide 5xx ones.
      return status < 500 && e.message ? e.message : 'The request could not be processed.';
  }
}
