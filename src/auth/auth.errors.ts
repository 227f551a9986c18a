import { BadRequestException, ForbiddenException } from '@nestjs/common';
import { ProblemException, RetryLaterException } from '../common/problem.exception';

const AUTH_REALM = 'stackone-connect-service';

/** One body for every malformed, forged or expired token: no error oracle. */
export const INVALID_TOKEN = 'The bearer token is invalid or expired.';
export const IDENTITY_KEYS_UNAVAILABLE = 'The identity keys could not be loaded; try again shortly.';

/**
 * The WWW-Authenticate challenges for the configured methods (RFC 9110 §11.6.1, RFC 6750 §3).
 * `error` is only added to the Bearer challenge, and only when a token was actually presented.
 */
export function challenge(methods: { jwt: boolean; apiKey: boolean }, error?: 'invalid_token' | 'invalid_request'): string {
  const parts: string[] = [];
  if (methods.jwt) parts.push(`Bearer realm="${AUTH_REALM}"${error ? `, error="${error}"` : ''}`);
  if (methods.apiKey) parts.push(`ApiKey realm="${AUTH_REALM}", header="X-API-Key"`);
  return parts.join(', ');
}

/** 401 with WWW-Authenticate; the message is the problem's `detail` and never holds any part of a credential. */
export class AuthenticationError extends ProblemException {
  constructor(message: string, wwwAuthenticate: string) {
    super({ status: 401, detail: message, headers: { 'WWW-Authenticate': wwwAuthenticate } });
  }
}

/** 403: the credential is valid but may not act for the tenant the request names. */
export class TenantForbiddenError extends ForbiddenException {
  constructor(message: string) {
    super({ message, error: 'Forbidden', statusCode: 403 });
  }
}

/** 400: the tenant headers an act-for-any-tenant key must send are malformed. */
export class TenantHeaderError extends BadRequestException {
  constructor(message: string) {
    super({ message, error: 'Bad Request', statusCode: 400 });
  }
}

/** The identity provider's keys could not be fetched: not the caller's fault, and no detail leaks. */
export class IdentityKeysUnavailableError extends RetryLaterException {
  constructor() {
    super(IDENTITY_KEYS_UNAVAILABLE);
  }
}
