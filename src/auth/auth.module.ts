import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyVerifier } from './api-key-verifier';
import { AuthGuard } from './auth.guard';
import { JwtVerifier } from './jwt-verifier';

@Module({
  providers: [JwtVerifier, ApiKeyVerifier, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [JwtVerifier, ApiKeyVerifier],
})
export class AuthModule {}
