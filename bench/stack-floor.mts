// The floor of the stack the service is built on: NestJS on Fastify, the service's own ValidationPipe
// and request DTO (class-validator + class-transformer), and @nestjs/axios on the service's undici
// adapter, making the seed's one StackOne call. No auth, limits, idempotency, session records, logs,
// metrics or resilience. Whatever the service adds costs on top of this, so the service cannot beat
// it; `npm run bench` prints it beside the seed's handler to show how much of the gap is the stack's.
// Started with the service's compiled code (DIST, default dist) and start:prod's node flags.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = process.env.DIST ?? join(import.meta.dirname, '..', 'dist');
const { Body, Controller, HttpCode, Module, Post } = require('@nestjs/common') as typeof import('@nestjs/common');
const { APP_PIPE, NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify') as typeof import('@nestjs/platform-fastify');
const { HttpService } = require('@nestjs/axios') as typeof import('@nestjs/axios');
const { Axios } = require('axios') as typeof import('axios');
const { Pool } = require('undici') as typeof import('undici');
const { createValidationPipe } = require(join(dist, 'common/request-validation.error.js')) as typeof import('../src/common/request-validation.error.ts');
const { CreateConnectSessionDto } = require(join(dist, 'connect-sessions/dto/create-connect-session.dto.js')) as typeof import('../src/connect-sessions/dto/create-connect-session.dto.ts');
const { undiciAdapter } = require(join(dist, 'stackone/undici-adapter.js')) as typeof import('../src/stackone/undici-adapter.ts');

const UPSTREAM = process.env.UPSTREAM_URL ?? 'http://127.0.0.1:4010';
const authorization = `Basic ${Buffer.from(`${process.env.UPSTREAM_API_KEY ?? 'bench-key'}:`).toString('base64')}`;
const http = new HttpService(new Axios({ headers: { Authorization: authorization, Accept: 'application/json' }, adapter: undiciAdapter(new Pool(UPSTREAM, { connections: 64 }), '') }) as never);
const JSON_BODY = { 'Content-Type': 'application/json' };

// Decorators applied by hand: Node's type stripping does not compile decorator syntax.
class SessionsController {
  async create(dto: { originUsername?: string; provider?: string }): Promise<{ token: string; sessionId: string }> {
    const data = JSON.stringify({ origin_owner_id: 'customer-123', origin_owner_name: 'Acme Inc', origin_username: dto.originUsername, provider: dto.provider });
    const res = await http.axiosRef.request<string>({ method: 'POST', url: '/connect_sessions', data, headers: JSON_BODY });
    const session = JSON.parse(res.data) as { token: string; id: string | number };
    return { token: session.token, sessionId: String(session.id) };
  }
}
const create = Object.getOwnPropertyDescriptor(SessionsController.prototype, 'create') as PropertyDescriptor;
Reflect.defineMetadata('design:paramtypes', [CreateConnectSessionDto], SessionsController.prototype, 'create');
Body()(SessionsController.prototype, 'create', 0);
HttpCode(201)(SessionsController.prototype, 'create', create);
Post()(SessionsController.prototype, 'create', create);
Controller('v1/connect-sessions')(SessionsController);

class StackFloorModule {}
Module({ controllers: [SessionsController], providers: [{ provide: APP_PIPE, useFactory: createValidationPipe }] })(StackFloorModule);

const app = await NestFactory.create(StackFloorModule, new FastifyAdapter(), { logger: false });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const address = (app.getHttpServer() as import('node:http').Server).address() as import('node:net').AddressInfo;
console.log(`LISTENING ${address.port}`);
process.on('SIGTERM', () => process.exit(0));
