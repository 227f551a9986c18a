import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AllConfig } from '../config/config.types';

/** Fields the request pipeline leaves on the raw request for the final log line (see app.factory.ts). */
export interface RequestLogFields {
  tenantId?: string;
  route?: string;
}

/**
 * Paths censored wherever they appear. The serializers below already emit an allow-list of request
 * fields; redaction is the second line of defence for anything logged by hand.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'authorization',
  'token',
  'apiKey',
  'password',
  'secret',
  'credentials',
  'setup_information',
  '*.authorization',
  '*.Authorization',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.secret',
  '*.credentials',
  '*.setup_information',
];

const pathOnly = (url: string | undefined): string => {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
};

export function loggerParams(config: AllConfig, destination?: DestinationStream): Params {
  const options = {
    level: config.app.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    // The request id is Fastify's (X-Request-Id or a UUID), so logs and problem bodies agree.
    genReqId: (req: IncomingMessage): string => String((req as IncomingMessage & { id?: unknown }).id ?? ''),
    customProps: (req: IncomingMessage): Record<string, unknown> => {
      const fields = req as IncomingMessage & RequestLogFields;
      return { tenantId: fields.tenantId, route: fields.route };
    },
    serializers: {
      req: (req: { id?: unknown; method?: string; url?: string }): Record<string, unknown> => ({
        id: req.id,
        method: req.method,
        path: pathOnly(req.url),
      }),
      res: (res: { statusCode?: number }): Record<string, unknown> => ({ statusCode: res.statusCode }),
      err: (err: Error & { code?: string }): Record<string, unknown> => ({ type: err.name, message: err.message, code: err.code }),
    },
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number): string =>
      `${req.method} ${pathOnly(req.url)} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse): string =>
      `${req.method} ${pathOnly(req.url)} ${res.statusCode}`,
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error): 'info' | 'warn' | 'error' =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    autoLogging: { ignore: (req: IncomingMessage): boolean => /^\/(health\/|metrics)/.test(req.url ?? '') },
    quietReqLogger: true,
  };
  return {
    pinoHttp: destination ? [options, destination] : options,
    assignResponse: true,
  } as Params;
}
