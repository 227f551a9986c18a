import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { StackOneApiError } from '../stackone/stackone-api.error';
import { PROBLEM_CONTENT_TYPE, ProblemDetails, problemType } from './problem';
import { RequestValidationError } from './request-validation.error';

interface ProblemSpec {
  status: number;
  slug: string;
  title: string;
  detail?: string;
  errors?: ProblemDetails['errors'];
  headers?: Record<string, string>;
}

/**
 * The single place that writes error answers: every exception (ours, Nest's, Fastify's, StackOne's,
 * or unexpected) becomes RFC 9457 application/problem+json with the request id.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const spec = this.toSpec(exception);
    if (spec.status >= 500) this.log(exception, spec, request);
    sendProblem(reply, request, spec);
  }

  toSpec(exception: unknown): ProblemSpec {
    if (exception instanceof StackOneApiError) return stackOneProblem(exception, this.logger);
    if (exception instanceof RequestValidationError) {
      return { status: 400, slug: 'validation', title: 'Request validation failed', detail: exception.message, errors: exception.errors };
    }
    // Fastify's own errors (body parsing, media type) arrive wrapped in an HttpException by Nest's adapter.
    const fastifyError = fastifyErrorOf(exception);
    if (fastifyError) {
      const status = fastifyError.statusCode as number;
      return { status, slug: slugFor(status), title: STATUS_CODES[status] ?? 'Error', detail: fastifyDetail(fastifyError, status) };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      return {
        status,
        slug: slugFor(status),
        title: STATUS_CODES[status] ?? 'Error',
        detail: detailOf(exception),
        headers: headersOf(exception),
      };
    }
    const fastifyStatus = fastifyErrorStatus(exception);
    if (fastifyStatus !== undefined) {
      return {
        status: fastifyStatus,
        slug: slugFor(fastifyStatus),
        title: STATUS_CODES[fastifyStatus] ?? 'Error',
        detail: fastifyDetail(exception as FastifyLikeError, fastifyStatus),
      };
    }
    return { status: 500, slug: 'internal', title: 'Internal Server Error', detail: 'An unexpected error occurred.' };
  }

  private log(exception: unknown, spec: ProblemSpec, request: FastifyRequest): void {
    const where = `${request.method} ${routeOf(request)} [${String(request.id)}]`;
    if (exception instanceof StackOneApiError) {
      // Safe to log whole: it carries no headers, credentials or upstream bodies.
      this.logger.warn(`${where} → ${spec.status}: ${exception.message}`);
    } else if (spec.status === 500) {
      const err = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(`${where} → 500: ${err.name}: ${err.message}`, err.stack);
    }
  }
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, spec: ProblemSpec): void {
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

function slugFor(status: number): string {
  const text = STATUS_CODES[status] ?? 'error';
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function detailOf(exception: HttpException): string | undefined {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

function headersOf(exception: unknown): Record<string, string> | undefined {
  const headers = (exception as { headers?: unknown }).headers;
  if (!headers || typeof headers !== 'object') return undefined;
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => typeof v === 'string'));
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

function fastifyDetail(e: FastifyLikeError, status: number): string {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is larger than this service accepts.';
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

/**
 * The longest Retry-After this service sends. StackOne's own value is passed on, but an HTTP-date
 * years ahead (seen: 2099 → 2,300,624,317 s) overflows some clients' timers into a hot retry loop.
 */
export const MAX_RETRY_AFTER_SECONDS = 3600;

function retryAfterHeader(seconds: number | undefined): Record<string, string> | undefined {
  if (seconds === undefined) return undefined;
  const bounded = Number.isFinite(seconds) ? Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds))) : MAX_RETRY_AFTER_SECONDS;
  return { 'retry-after': String(bounded) };
}

/** StackOne failures, mapped to what the caller can act on. Upstream bodies are never passed through. */
export function stackOneProblem(error: StackOneApiError, logger: Logger): ProblemSpec {
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

