import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import FindMyWay from 'find-my-way';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import { sendProblem } from '../common/problem-details.filter';
import { PROBLEM_CONTENT_TYPE, problemType } from '../common/problem';
import { setSecurityHeaders } from './security-headers';

/** How often Node checks for requests over their time limit (its default, 30 s, would double a 30 s limit). */
export function connectionsCheckingInterval(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 4)));
}

interface ClientErrorProblem {
  status: number;
  slug: string;
  detail: string;
}

export function clientErrorProblem(code: string | undefined, requestTimeoutMs: number): ClientErrorProblem {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, slug: 'request-timeout', detail: `The request did not arrive within ${requestTimeoutMs} ms.` };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, slug: 'request-header-fields-too-large', detail: 'The request line and headers are larger than this service accepts (16 KiB).' };
    default:
      return { status: 400, slug: 'bad-request', detail: 'The request is not valid HTTP/1.1.' };
  }
}

/**
 * Fastify's `clientErrorHandler`: errors Node's HTTP parser or its timeouts raise before routing
 * (bad request line, oversized headers, a request that does not arrive in time) answered as
 * problem+json on the raw socket, which is then closed. Like Node's own handler, nothing is written
 * once a response has started.
 */
export function clientErrorHandler(requestTimeoutMs: number): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean; req?: { url?: string } } })._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const { status, slug, detail } = clientErrorProblem(error.code, requestTimeoutMs);
      const requestId = randomUUID();
      const path = inFlight?.req?.url?.split('?', 1)[0];
      const body = JSON.stringify({
        type: problemType(slug),
        title: STATUS_CODES[status],
        status,
        detail,
        ...(path ? { instance: path } : {}),
        requestId,
      });
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
          `cache-control: no-store\r\nx-request-id: ${requestId}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(error);
  };
}

/**
 * Fastify's `frameworkErrors`: the router refuses a malformed URL (400) or an over-long path
 * parameter (414) before any hook runs, so the security headers are set here too.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setSecurityHeaders(request, reply);
  void reply.header('x-request-id', String(request.id));
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendProblem(reply, request, { status: 414, slug: 'uri-too-long', title: 'URI Too Long', detail: 'A path segment is too long for this service.' });
  } else {
    sendProblem(reply, request, { status: 400, slug: 'bad-request', title: 'Bad Request', detail: 'The URL is not valid (bad percent-encoding).' });
  }
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * A known path with a method it does not have answers 405 with `Allow`, not 404. Routes are
 * collected as Fastify registers them into a find-my-way router (the matcher Fastify itself uses),
 * consulted only for requests Fastify did not match. `alwaysAllowed` adds methods answered outside
 * the routes (OPTIONS when CORS is on).
 */
export function installMethodNotAllowed(fastify: FastifyInstance, alwaysAllowed: string[] = []): void {
  const paths = FindMyWay();
  const methodsByPath = new Map<string, Set<string>>();
  fastify.addHook('onRoute', (route) => {
    // Catch-alls (CORS's `OPTIONS *`) would make every path look known.
    if (route.url === '*' || route.url === '/*') return;
    let methods = methodsByPath.get(route.url);
    if (!methods) {
      methods = new Set(alwaysAllowed);
      methodsByPath.set(route.url, methods);
      paths.on('GET', route.url, () => undefined, route.url);
    }
    for (const method of [route.method].flat()) {
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
    }
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done();
    const match = paths.find('GET', request.url.split('?', 1)[0]);
    const allowed = match ? methodsByPath.get(match.store as string) : undefined;
    if (!allowed || allowed.has(request.method)) return done();
    const allow = METHODS.filter((m) => allowed.has(m)).join(', ');
    // Set here too, so the answer does not depend on the request-id hook having run first.
    void reply.header('x-request-id', String(request.id)).header('allow', allow);
    sendProblem(reply, request, {
      status: 405,
      slug: 'method-not-allowed',
      title: 'Method Not Allowed',
      detail: `${request.method} is not allowed here; this path allows ${allow}.`,
    });
  });
}
