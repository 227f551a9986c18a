import { HttpModule, HttpModuleOptions, HttpService } from '@nestjs/axios';
import type { AxiosRequestHeaders, CreateAxiosDefaults } from 'axios';
import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../config/config.types';
import { OutboundBudget } from './outbound-budget';
import { StackOneHttpService } from './stackone-http.service';
import { StackOnePool, StackOnePoolModule } from './stackone-pool';
import { undiciAdapter } from './undici-adapter';

/** axios transformRequest: JSON for a body, nothing for none (GET/DELETE). */
export function jsonRequestBody(data: unknown, headers: AxiosRequestHeaders): string | undefined {
  if (data === undefined) return undefined;
  headers.set('Content-Type', 'application/json');
  return JSON.stringify(data);
}

/** This client's axios options: HttpModule creates the instance from them, and they are all it keeps. */
const STACKONE_AXIOS_OPTIONS = Symbol('STACKONE_AXIOS_OPTIONS');

/**
 * axios merges the instance defaults into every request config, header groups and all. axios.create()
 * copies in its global defaults (browser XSRF names, a `timeout` and size limits that the undici
 * adapter does not read, per-method header groups, `transitional`, `env`): about 40% of axios's own
 * cost per call, for settings this client never uses. Only what `options` sets is kept: the
 * deadline, the size cap and the headers are ours (the AbortSignal, the adapter's
 * `maxResponseBytes`, Authorization and Accept).
 */
export function leanAxiosDefaults(defaults: CreateAxiosDefaults, options: HttpModuleOptions): void {
  const bag = defaults as Record<string, unknown>;
  for (const key of Object.keys(bag)) if (!(key in options)) delete bag[key];
  const headers = defaults.headers as Record<string, unknown>;
  const own = (options.headers ?? {}) as Record<string, unknown>;
  for (const name of Object.keys(headers)) if (!(name in own)) delete headers[name];
}

@Module({
  imports: [StackOnePoolModule],
  providers: [
    {
      provide: STACKONE_AXIOS_OPTIONS,
      inject: [ConfigService, StackOnePool],
      useFactory: (config: ConfigService<AllConfig, true>, transport: StackOnePool): HttpModuleOptions => {
        const { apiKey, maxResponseBytes } = config.get('stackone', { infer: true });
        return {
          baseURL: transport.baseUrl,
          // Computed once; lives only in this client's default headers, never in errors or logs.
          headers: { Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`, Accept: 'application/json' },
          adapter: undiciAdapter(transport.pool, transport.origin, maxResponseBytes),
          // A redirect from StackOne is an invalid answer, never followed (the adapter cannot follow one).
          maxRedirects: 0,
          // Every status comes back as a response; StackOneHttpService maps them itself.
          validateStatus: (): boolean => true,
          // Bodies are JSON: one stringify instead of axios's default transform, which probes for
          // forms, streams and buffers on every request.
          transformRequest: [jsonRequestBody],
          // The raw text: axios would silently hand back a string for a broken JSON body.
          responseType: 'text',
          transformResponse: [(data: unknown): unknown => data],
        };
      },
    },
  ],
  exports: [STACKONE_AXIOS_OPTIONS],
})
class StackOneAxiosOptionsModule {}

@Module({
  imports: [
    StackOneAxiosOptionsModule,
    HttpModule.registerAsync({
      imports: [StackOneAxiosOptionsModule],
      inject: [STACKONE_AXIOS_OPTIONS],
      useFactory: (options: HttpModuleOptions): HttpModuleOptions => options,
    }),
  ],
  providers: [OutboundBudget, StackOneHttpService],
  exports: [StackOneHttpService],
})
export class StackOneModule implements OnModuleInit {
  constructor(
    private readonly http: HttpService,
    @Inject(STACKONE_AXIOS_OPTIONS) private readonly options: HttpModuleOptions,
  ) {}

  onModuleInit(): void {
    leanAxiosDefaults(this.http.axiosRef.defaults, this.options);
  }
}
