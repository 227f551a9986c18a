// How a StackOne request's path is written and its answer's text read; the transport is in stackone-http.service.ts.

/** Arrays become repeated parameters (`providers=a&providers=b`), as StackOne expects. */
export function withQuery(path: string, params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) search.append(key, String(v));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

/** A path parameter as one segment: `/`, `?`, `#` encoded, and `.`/`..` can never act as dot segments. */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}

/** A JSON answer's body, or undefined when it is empty or not JSON (the caller's check then refuses it). */
export function parseJson(text: string): unknown {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
