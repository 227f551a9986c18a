import { AxiosAdapter, AxiosHeaders, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import { Pool } from 'undici';

/** A transport failure below HTTP: the service maps it to StackOneApiError. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly kind: 'network' | 'timeout' | 'too-large',
    readonly code: string,
  ) {
    super(`StackOne transport failure: ${kind} (${code})`);
  }
}

/**
 * An axios adapter on an undici Pool: @nestjs/axios stays the API the service codes against, while
 * the transport keeps a pool of keep-alive connections, never follows redirects, aborts on the
 * caller's signal (the total deadline) and bounds how much of a body it reads.
 * Measured on the DESIGN.md machine: axios's default http adapter ~3,500 req/s vs undici ~10,800.
 */
export function undiciAdapter(pool: Pool, maxResponseBytes: number): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse<string>> => {
    const url = new URL(config.url ?? '/', 'http://stackone.invalid');
    const search = serializeParams(config.params as Record<string, unknown> | undefined);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(AxiosHeaders.from(config.headers).toJSON())) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
      else if (typeof value === 'number' || typeof value === 'boolean') headers[name.toLowerCase()] = String(value);
    }
    const body = typeof config.data === 'string' ? config.data : undefined;
    try {
      const res = await pool.request({
        path: `${url.pathname}${search}`,
        method: (config.method ?? 'get').toUpperCase(),
        headers,
        body,
        signal: config.signal as AbortSignal | undefined,
      });
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > maxResponseBytes) {
        res.body.destroy();
        throw new TransportError('too-large', 'content-length');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxResponseBytes) {
          res.body.destroy();
          throw new TransportError('too-large', 'body');
        }
        chunks.push(chunk as Buffer);
      }
      const responseHeaders = new AxiosHeaders();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      return {
        data: Buffer.concat(chunks).toString('utf8'),
        status: res.statusCode,
        statusText: '',
        headers: responseHeaders,
        config,
        request: undefined,
      };
    } catch (err) {
      throw toTransportError(err, config.signal as AbortSignal | undefined);
    }
  };
}

/** Arrays become repeated parameters (`providers=a&providers=b`), as StackOne expects. */
export function serializeParams(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function toTransportError(err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof TransportError) return err;
  if (signal?.aborted) return new TransportError('timeout', 'deadline');
  const e = err as { code?: string; name?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'unknown';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransportError('timeout', code);
  }
  return new TransportError('network', code);
}
