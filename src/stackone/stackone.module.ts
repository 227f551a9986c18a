import { HttpService } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Axios } from 'axios';
import type { AllConfig } from '../app.config';
import { OutboundBudget } from './outbound-budget';
import { StackOneHttpService } from './stackone-http.service';
import { StackOnePool } from './stackone-pool';
import { undiciAdapter } from './undici-adapter';

@Module({
  providers: [
    StackOnePool,
    {
      provide: HttpService,
      inject: [ConfigService, StackOnePool],
      useFactory: (config: ConfigService<AllConfig, true>, transport: StackOnePool): HttpService => {
        const { apiKey } = config.get('stackone', { infer: true });
        // `new Axios` rather than axios.create(): only these defaults are merged into each request,
        // not axios's global ones (XSRF names, size limits, per-method header groups) that the
        // undici adapter never reads.
        const instance = new Axios({
          // Computed once; lives only in this client's default headers, never in errors or logs.
          headers: { Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`, Accept: 'application/json' },
          adapter: undiciAdapter(transport.pool, transport.basePath),
        });
        return new HttpService(instance as ConstructorParameters<typeof HttpService>[0]);
      },
    },
    OutboundBudget,
    StackOneHttpService,
  ],
  exports: [StackOneHttpService],
})
export class StackOneModule {}
