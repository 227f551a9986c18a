import { ForbiddenException, ServiceUnavailableException, UnauthorizedException } from '@nestjs/common';

const REALM = 'stackone-connect-service';

/** The WWW-Authenticate challenge for the methods that are configured. */
export function challenge(methods: { jwt: boolean; apiKey: boolean }, error?: 'invalid_token' | 'invalid_request'): string {
  const parts: string[] = [];
  if (methods.jwt) parts.push(`Bearer realm="${REALM}"${error ? `, error="${error}"` : ''}`);
  if (methods.apiKey) parts.push(`ApiKey realm="${REALM}", header="X-API-Key"`);
  return parts.join(', ');
}

/**
 * 401 with WWW-Authenticate. The problem filter copies `headers` onto the answer and uses the
 * message as `detail`; messages never contain any part of a credential.
 */
export class AuthenticationError extends UnauthorizedException {
  readonly headers: Record<string, string>;

  constructor(message: string, wwwAuthenticate: string) {
    super({ message, error: 'Unauthorized', statusCode: 401 });
    this.headers = { 'WWW-Authenticate': wwwAuthenticate };
  }
}

export class TenantForbiddenError extends ForbiddenException {
  constructor(message: string) {
    super({ message, error: 'Forbidden', statusCode: 403 });
  }
}

/** The identity provider's keys could not be fetched: not the caller's fault, and no detail leaks. */
export class IdentityKeysUnavailableError extends ServiceUnavailableException {
  readonly headers = { 'Retry-After': '5' };

  constructor() {
    super({ message: 'The identity keys could not be loaded; try again shortly.', error: 'Service Unavailable', statusCode: 503 });
  }
}

/** One body for every malformed, forged or expired token: no error oracle. */
export const INVALID_TOKEN = 'The bearer token is invalid or expired.';
