import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AllConfig } from '../app.config';
import type { StackOneConfig } from '../stackone/stackone.config';
import { StackOneHttpService } from '../stackone/stackone-http.service';
import { ConnectorMetaWire } from '../stackone/stackone.types';
import { ProviderResponseDto } from './provider.response.dto';

/**
 * The connectors a tenant may offer: StackOne's /connectors/meta, narrowed by the allow-lists, kept
 * in memory for a TTL. Concurrent misses share one upstream call.
 */
@Injectable()
export class ProvidersService {
  private readonly config: StackOneConfig;
  private cached?: { providers: ProviderResponseDto[]; expiresAt: number };
  private inFlight?: Promise<ProviderResponseDto[]>;

  constructor(
    private readonly stackone: StackOneHttpService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.config = config.get('stackone', { infer: true });
  }

  async list(category?: string): Promise<ProviderResponseDto[]> {
    const all = await this.allowed();
    return category ? all.filter((p) => p.category === category) : all;
  }

  /** The provider's category, from the cached list; undefined when unknown or when StackOne cannot be asked. */
  async categoryOf(provider: string): Promise<string | undefined> {
    try {
      return (await this.allowed()).find((p) => p.provider === provider)?.category;
    } catch {
      return undefined;
    }
  }

  /**
   * Whether the catalogue lists `provider`, from the cache only (never waits on StackOne: metrics
   * labels use it on every scrape); a stale or missing cache is refreshed in the background.
   * Undefined while no catalogue has been fetched.
   */
  listsCached(provider: string): boolean | undefined {
    if (!this.cached || this.cached.expiresAt <= Date.now()) void this.allowed().catch(() => undefined);
    return this.cached ? this.cached.providers.some((p) => p.provider === provider) : undefined;
  }

  private allowed(): Promise<ProviderResponseDto[]> {
    if (this.cached && this.cached.expiresAt > Date.now()) return Promise.resolve(this.cached.providers);
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<ProviderResponseDto[]> {
    const connectors = await this.stackone.listConnectors();
    const providers = connectors.filter((c) => this.isAllowed(c)).map(toProvider);
    this.cached = { providers, expiresAt: Date.now() + this.config.providersCacheTtlMs };
    return providers;
  }

  private isAllowed(c: ConnectorMetaWire): boolean {
    const { allowedProviders, allowedCategories } = this.config;
    if (c.active === false) return false;
    if (allowedProviders.length > 0 && !allowedProviders.includes(c.provider)) return false;
    if (allowedCategories.length > 0 && !(allowedCategories as string[]).includes(c.category)) return false;
    return true;
  }
}

function toProvider(c: ConnectorMetaWire): ProviderResponseDto {
  return {
    provider: c.provider,
    name: c.provider_name,
    category: c.category,
    logoUrl: c.resources?.images?.logo_url ?? undefined,
    releaseStage: c.release_stage ?? undefined,
  };
}
