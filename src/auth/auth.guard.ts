import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeyVerifier } from './api-key-verifier';
import { AuthenticationError, challenge } from './auth.errors';
import { JwtVerifier, MAX_TOKEN_LENGTH } from './jwt-verifier';
import { IS_PUBLIC_KEY } from './public.decorator';
import './tenant-request';

const single = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? undefined : value);

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
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authorization = single(request.headers.authorization);
    const apiKey = single(request.headers['x-api-key']);
    if (authorization !== undefined && apiKey !== undefined) {
      throw new AuthenticationError('Send exactly one credential: Authorization or X-API-Key, not both.', this.www);
    }
    if (authorization !== undefined) {
      if (authorization.length > MAX_TOKEN_LENGTH + 7) throw new AuthenticationError('The bearer token is invalid or expired.', this.www);
      const match = /^Bearer +([^ ]+) *$/i.exec(authorization);
      if (!match) throw new AuthenticationError('Use "Authorization: Bearer <token>".', this.www);
      request.tenant = await this.jwt.verify(match[1]);
      return true;
    }
    if (apiKey !== undefined) {
      request.tenant = this.apiKeys.verify(apiKey, single(request.headers['x-tenant-id']), single(request.headers['x-tenant-name']));
      return true;
    }
    throw new AuthenticationError('Authentication required: send a bearer token or an X-API-Key.', this.www);
  }
}
