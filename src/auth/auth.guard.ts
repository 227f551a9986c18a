import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyVerifier } from './api-key-verifier';
import { AuthenticationError, challenge, INVALID_TOKEN } from './auth.errors';
import { JwtVerifier, MAX_TOKEN_LENGTH } from './jwt-verifier';
import { IS_PUBLIC_KEY } from './public.decorator';
import './tenant-request';

/** "Bearer " plus the longest token we accept: anything longer is refused before any parsing. */
const MAX_AUTHORIZATION_LENGTH = MAX_TOKEN_LENGTH + 'Bearer '.length;
const BEARER = /^Bearer +([^ ]+) *$/i;

type HeaderValue = string | string[] | undefined;

/**
 * Global guard: every route needs exactly one credential (bearer JWT or X-API-Key) unless marked
 * @Public(). Credentials are read from headers only; tokens in query strings are ignored.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly www: string;

  constructor(
    private readonly reflector: Reflector,
    private readonly jwt: JwtVerifier,
    private readonly apiKeys: ApiKeyVerifier,
  ) {
    this.www = challenge({ jwt: jwt.enabled, apiKey: apiKeys.enabled });
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization: HeaderValue = request.headers.authorization;
    const apiKey: HeaderValue = request.headers['x-api-key'];
    if ((authorization !== undefined && apiKey !== undefined) || Array.isArray(authorization) || Array.isArray(apiKey)) {
      throw new AuthenticationError('Send exactly one credential: one Authorization or one X-API-Key header, not both.', this.www);
    }
    if (authorization !== undefined) {
      request.tenant = await this.jwt.verify(this.bearerToken(authorization));
      return true;
    }
    if (apiKey !== undefined) {
      request.tenant = this.apiKeys.verify(apiKey, single(request.headers['x-tenant-id']), single(request.headers['x-tenant-name']));
      return true;
    }
    throw new AuthenticationError('Authentication required: send a bearer token or an X-API-Key.', this.www);
  }

  private bearerToken(authorization: string): string {
    if (authorization.length > MAX_AUTHORIZATION_LENGTH) {
      throw new AuthenticationError(INVALID_TOKEN, challenge({ jwt: this.jwt.enabled, apiKey: this.apiKeys.enabled }, 'invalid_token'));
    }
    const match = BEARER.exec(authorization);
    if (!match) {
      throw new AuthenticationError('Use "Authorization: Bearer <token>" (or X-API-Key for service keys).', challenge({ jwt: this.jwt.enabled, apiKey: this.apiKeys.enabled }, 'invalid_request'));
    }
    return match[1];
  }
}

/** Duplicated tenant headers are ambiguous: treat them as absent, which the verifier then refuses or ignores. */
function single(value: HeaderValue): string | undefined {
  return Array.isArray(value) ? undefined : value;
}
