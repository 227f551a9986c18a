import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Swagger UI needs its inline bootstrap script and styles; everything else stays 'self'.
 * Static directives only: the headers are computed once (see `securityHeaders`).
 */
export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", "'unsafe-inline'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
    },
  },
};

/**
 * The same policy without `upgrade-insecure-requests`, for requests that arrived over plain HTTP:
 * there the directive makes the browser fetch Swagger UI's assets over https, which nothing serves
 * (the UI stays blank at any address but localhost).
 */
export const HELMET_OPTIONS_PLAIN_HTTP: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      ...(HELMET_OPTIONS.contentSecurityPolicy as { directives: Record<string, string[]> }).directives,
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The headers helmet sets for these options, computed once by running helmet's middleware against
 * a recording response. @fastify/helmet rebuilt the whole helmet middleware (parsing every CSP
 * directive) on every request: ~4% of a connect-session request's CPU in the profile. With static
 * options helmet's output does not depend on the request, so the result is the same headers.
 */
export function securityHeaders(options: HelmetOptions = HELMET_OPTIONS): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]): void {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string): void {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    failure = err;
  });
  if (failure) throw failure instanceof Error ? failure : new Error('helmet refused its options');
  return Object.freeze(headers);
}

const overTls = securityHeaders(HELMET_OPTIONS);
const overPlainHttp = securityHeaders(HELMET_OPTIONS_PLAIN_HTTP);

/**
 * Sets the precomputed helmet headers: with `upgrade-insecure-requests` only for requests that
 * arrived over TLS (`request.protocol` honours X-Forwarded-Proto from trusted proxies only).
 */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  void reply.headers(request.protocol === 'https' ? overTls : overPlainHttp);
}

/** Sets the security headers on every answer (routes, 404s and errors alike). */
export function installSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    setSecurityHeaders(request, reply);
    done();
  });
}
