import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';

/**
 * axios's transport, onto the undici Pool to StackOne's origin (see StackOnePool and
 * docs/operations.md, "The StackOne client"). Only a path under `basePath` is sent, so the Authorization header
 * cannot reach another origin; redirects are answers (undici does not follow them); the Pool caps
 * the body size and the signal ends the request, body included. undici's errors pass through
 * untouched: StackOneHttpService classifies them.
 */
export function undiciAdapter(pool: Dispatcher, basePath: string): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse<string>> => {
    const res = await pool.request({
      path: `${basePath}${config.url ?? ''}`,
      method: (config.method ?? 'get').toUpperCase(),
      // AxiosHeaders iterates as [name, value] pairs of the headers still set: undici reads it as is.
      headers: config.headers,
      body: config.data as string | undefined,
      signal: config.signal as AbortSignal | undefined,
    });
    return { data: await res.body.text(), status: res.statusCode, statusText: '', headers: res.headers, config, request: undefined };
  };
}
