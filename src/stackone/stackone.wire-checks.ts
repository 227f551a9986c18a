import {
  ConnectorMetaWire,
  ConnectSessionTokenAuthLinkWire,
  ConnectSessionWire,
  LinkedAccountWire,
} from './stackone.types';

/** Runtime checks of StackOne's 2xx answers: a body that does not fit is an invalid response (502). */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** organization_id is a string since SDK 4.34.0 and a number before: either is StackOne's; nothing else is. */
const isOrganizationId = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string' || typeof v === 'number';

function isConnectSession(v: unknown): v is ConnectSessionWire {
  return (
    isObject(v) &&
    isText(v.origin_owner_id) &&
    typeof v.origin_owner_name === 'string' &&
    typeof v.created_at === 'string' &&
    isOrganizationId(v.organization_id)
  );
}

export function isConnectSessionTokenAuthLink(v: unknown): v is ConnectSessionTokenAuthLinkWire {
  return isConnectSession(v) && isText((v as Record<string, unknown>).token) && isText((v as Record<string, unknown>).auth_link_url);
}

export function isLinkedAccount(v: unknown): v is LinkedAccountWire {
  return isObject(v) && isText(v.id) && isText(v.provider) && typeof v.origin_owner_id === 'string';
}

export function isLinkedAccountList(v: unknown): v is LinkedAccountWire[] {
  return Array.isArray(v) && v.every(isLinkedAccount);
}

function isConnector(v: unknown): v is ConnectorMetaWire {
  return isObject(v) && isText(v.provider) && typeof v.provider_name === 'string' && typeof v.category === 'string';
}

export function isConnectorList(v: unknown): v is ConnectorMetaWire[] {
  return Array.isArray(v) && v.every(isConnector);
}

const MESSAGE_MAX = 300;

/**
 * StackOne's error body `message`, bounded, one line, and with our own secrets and any credential
 * scheme (`Basic …`, `Bearer …`) blanked: an upstream may echo what it received. Never the rest of the body.
 */
export function upstreamMessage(body: unknown, secrets: readonly string[] = []): string | undefined {
  if (!isObject(body)) return undefined;
  const m = body.message;
  const text = Array.isArray(m) ? m.filter((x) => typeof x === 'string').join('; ') : typeof m === 'string' ? m : undefined;
  if (!text) return undefined;
  let clean = text.slice(0, 4 * MESSAGE_MAX);
  for (const secret of secrets) if (secret) clean = clean.split(secret).join('[redacted]');
  clean = clean
    .replace(/\b(basic|bearer)\s+\S+/gi, '[redacted]')
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim();
  return clean ? clean.slice(0, MESSAGE_MAX) : undefined;
}

const REQUEST_ID_HEADERS = ['x-request-id', 'x-stackone-request-id', 'request-id', 'x-amzn-requestid', 'x-amzn-trace-id'];

/** StackOne's request id, for their support; only a plain token is kept. */
export function upstreamRequestId(headers: Record<string, unknown>): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers[name];
    if (typeof value === 'string' && /^[\w.:=;/+-]{1,128}$/.test(value)) return value;
  }
  return undefined;
}

/** Retry-After in seconds, from either form: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text);
  // All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) start with a day name; anything
  // else ('-3', '2026') is not a Retry-After, whatever Date.parse makes of it.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
