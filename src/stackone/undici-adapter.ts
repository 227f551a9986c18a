import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** A transport failure below HTTP: the service maps it to StackOneApiError. Carries no request data. */
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
 * the transport keeps keep-alive connections, never follows redirects, aborts on the caller's
 * signal (the total deadline, which also ends a slow-drip body) and stops reading a body at
 * `maxResponseBytes`, so memory stays bounded.
 * Why: DESIGN.md measured axios's http adapter at ~3,500 req/s (~5,000 without follow-redirects)
 * against ~10,800 for undici; the outbound client dominates this service's throughput.
 *
 * `origin` is the only origin this adapter talks to: an absolute URL elsewhere is refused, so the
 * Authorization header can never be sent to another host.
 */
export function undiciAdapter(dispatcher: Dispatcher, origin: string, maxResponseBytes: number): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse<string>> => {
    const signal = config.signal as AbortSignal | undefined;
    try {
      const res = await dispatcher.request({
        path: requestPath(origin, config),
        method: (config.method ?? 'get').toUpperCase(),
        headers: requestHeaders(config.headers),
        body: typeof config.data === 'string' ? config.data : undefined,
        signal,
      });
      return {
        data: await readBody(res.body, res.headers['content-length'], maxResponseBytes),
        status: res.statusCode,
        statusText: '',
        // A plain object: axios normalises it into its own AxiosHeaders once, after the adapter.
        headers: responseHeaders(res.headers),
        config,
        request: undefined,
      };
    } catch (err) {
      throw toTransportError(err, signal);
    }
  };
}

/**
 * The body as text, never more than `maxResponseBytes`: a declared length is checked before
 * reading (and then read in one go by undici), an undeclared one is counted chunk by chunk.
 * The request's signal also ends the body, so a slow drip cannot outlive the deadline.
 */
async function readBody(body: Dispatcher.ResponseData['body'], contentLength: string | string[] | undefined, maxResponseBytes: number): Promise<string> {
  if (typeof contentLength === 'string' && /^\d+$/.test(contentLength)) {
    if (Number(contentLength) > maxResponseBytes) {
      body.destroy();
      throw new TransportError('too-large', 'content-length');
    }
    return body.text();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxResponseBytes) {
      body.destroy();
      throw new TransportError('too-large', 'body');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function requestPath(origin: string, config: InternalAxiosRequestConfig): string {
  const url = config.url ?? '';
  const base = (config.baseURL ?? origin).replace(/\/+$/, '');
  // Built as text, never through `new URL`, which would resolve `..`/`%2e%2e` segments.
  const full = /^[a-z][a-z\d+.-]*:\/\//i.test(url) ? url : `${base}/${url.replace(/^\/+/, '')}`;
  if (!full.startsWith(`${origin}/`)) throw new TransportError('network', 'foreign-origin');
  const path = full.slice(origin.length);
  const search = serializeParams(config.params as Record<string, unknown> | undefined);
  return search ? `${path}${path.includes('?') ? '&' : '?'}${search}` : path;
}

/**
 * axios's merged headers as undici wants them. Read through own keys rather than
 * `AxiosHeaders.from`: @nestjs/axios loads axios's ESM build and this file its CommonJS one, so an
 * `instanceof AxiosHeaders` check would fail and copy every header once more.
 */
function requestHeaders(headers: InternalAxiosRequestConfig['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value: unknown = headers[name];
    // axios marks a header removed with false/null; those are not sent.
    if (typeof value === 'string') out[name.toLowerCase()] = value;
    else if (typeof value === 'number') out[name.toLowerCase()] = String(value);
  }
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Arrays become repeated parameters (`providers=a&providers=b`), as StackOne expects. */
export function serializeParams(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, String(v));
  }
  return search.toString();
}

/** A path parameter as one segment: `/`, `?`, `#` encoded, and `.`/`..` can never act as dot segments. */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

function toTransportError(err: unknown, signal: AbortSignal | undefined): TransportError {
  if (err instanceof TransportError) return err;
  if (signal?.aborted) return new TransportError('timeout', 'deadline');
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = [e?.code, e?.cause?.code, e?.name].find((c): c is string => typeof c === 'string') ?? 'unknown';
  // Headers/body timeouts are backstops equal to the deadline. A connect timeout means nothing
  // was sent, so it is a network failure and safe to retry.
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new TransportError('timeout', code);
  return new TransportError('network', code);
}
