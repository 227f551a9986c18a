import { BadRequestException } from '@nestjs/common';
import { protoKeyPaths, reservedKeysError } from '../common/request-validation.error';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Deepest JSON nesting accepted (the top-level object is level 1). No endpoint needs more than 3. */
export const MAX_JSON_DEPTH = 32;

export const NOT_AN_OBJECT = 'The request body must be a JSON object.';
export const TOO_DEEP = `The request body is nested more than ${MAX_JSON_DEPTH} levels deep.`;

/** True when `value` nests objects/arrays deeper than `max` levels. Iterative: no stack to overflow. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Checks a parsed body: undefined (no body) or a plain JSON object not nested too deep and without
 * `__proto__` keys. Those are refused like `constructor` (by the validation pipe): 400 naming the
 * key, not "invalid JSON". JSON.parse keeps such a key as a plain own property, and the body is
 * refused before anything can merge it into another object.
 */
export function checkJsonBody(parsed: unknown): Error | undefined {
  if (parsed === undefined) return undefined;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return new BadRequestException(NOT_AN_OBJECT);
  if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) return new BadRequestException(TOO_DEEP);
  const protoPaths = protoKeyPaths(parsed, ['__proto__']);
  if (protoPaths.length > 0) return reservedKeysError(protoPaths);
  return undefined;
}

/**
 * Route config (`@RouteConfig({ [KEEP_RAW_BODY]: true })`) asking the parser to keep the exact bytes
 * it parsed on the request (see rawBodyOf): signed webhooks are verified over those bytes.
 */
export const KEEP_RAW_BODY = 'keepRawBody';

const RAW_BODY = Symbol('rawBody');
type WithRawBody = FastifyRequest & { [RAW_BODY]?: Buffer };

/** The bytes the JSON parser read for this request, kept only on routes configured with KEEP_RAW_BODY. */
export function rawBodyOf(request: FastifyRequest): Buffer | undefined {
  return (request as WithRawBody)[RAW_BODY];
}

/**
 * The service's only body parser: application/json (any parameters), parsed by Fastify's own
 * secure-json-parse parser (`constructor.prototype` refused; `__proto__` keys kept as plain keys and
 * refused by checkJsonBody with a message naming them) within the body limit. Every other media
 * type, and a body without one, gets Fastify's 415. An empty body (Content-Length: 0, as many
 * clients send with a default content type) is no body; arrays, scalars and deep nesting are
 * refused here, before class-transformer (which recurses) sees them. Read as bytes, so a route that
 * keeps its raw body gets exactly what arrived.
 * Needs `bodyParser: false` in NestFactory.create, or Nest adds its JSON and form parsers.
 */
export function installJsonBodyParser(fastify: FastifyInstance, bodyLimit: number): void {
  const parseJson = fastify.getDefaultJsonParser('ignore', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (request: FastifyRequest, body: Buffer, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    if ((request.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[KEEP_RAW_BODY] === true) (request as WithRawBody)[RAW_BODY] = body;
    // Fastify's parser takes a string or a Buffer (secure-json-parse decodes it as UTF-8).
    void parseJson(request, body as unknown as string, (err: Error | null, parsed?: unknown) => {
      if (err) done(err, undefined);
      else {
        const refusal = checkJsonBody(parsed);
        if (refusal) done(refusal, undefined);
        else done(null, parsed);
      }
    });
  });
}
