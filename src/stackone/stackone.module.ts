import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../config/config.types';
import { StackOneHttpService } from './stackone-http.service';

@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => {
        const { apiKey } = config.get('stackone', { infer: true });
        return {
          // Computed once; lives only in this client's default headers, never in errors or logs.
          headers: { Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`, Accept: 'application/json' },
          maxRedirects: 0,
        };
      },
    }),
  ],
  providers: [StackOneHttpService],
  exports: [StackOneHttpService],
})
export class StackOneModule {}
