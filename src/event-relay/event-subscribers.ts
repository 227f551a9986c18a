import { isTenantId, TENANT_ID_RULE } from '../auth/tenant';
import { isLoopbackHost } from '../common/loopback-host';
import { FEED_EVENT_TYPES, FeedEventType } from '../events/feed-event';

/** One internal service the relay delivers events to (EVENT_SUBSCRIBERS). */
export interface EventSubscriber {
  /** Labels metrics, logs and its queue: letters, digits, `_` and `-`. */
  name: string;
  url: string;
  /** Standard Webhooks signing secret, `whsec_` + base64. Never logged. */
  secret: string;
  /** Only these event types; absent: all. */
  events?: FeedEventType[];
  /** Only these tenants' events; absent: all. */
  tenants?: string[];
}

export const SUBSCRIBER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Standard Webhooks: a secret of 24 to 64 random bytes, base64 after `whsec_`. */
const SECRET_PATTERN = /^whsec_([A-Za-z0-9+/]+={0,2})$/;
const SECRET_BYTES = { min: 24, max: 64 } as const;
const KNOWN_FIELDS = new Set(['name', 'url', 'secret', 'events', 'tenants']);

export type SubscribersParse = { subscribers: EventSubscriber[]; problems: string[] };

/**
 * EVENT_SUBSCRIBERS parsed and checked in one pass. Every problem is named by the entry's index
 * and name (never its secret or URL, which may carry a token); an empty list is no subscribers.
 */
export function parseEventSubscribers(raw: unknown, allowInsecureHttp: boolean): SubscribersParse {
  if (raw === undefined) return { subscribers: [], problems: [] };
  let parsed: unknown = raw;
  if (typeof raw === 'string') {
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { subscribers: [], problems: ['not valid JSON (expected an array of {name, url, secret, events?, tenants?})'] };
    }
  }
  if (!Array.isArray(parsed)) return { subscribers: [], problems: ['expected a JSON array'] };
  const problems: string[] = [];
  const subscribers: EventSubscriber[] = [];
  const seen = new Set<string>();
  parsed.forEach((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`[${index}]: expected an object {name, url, secret, events?, tenants?}`);
      return;
    }
    const entry = item as Record<string, unknown>;
    const label = typeof entry.name === 'string' && SUBSCRIBER_NAME_PATTERN.test(entry.name) ? `[${index}] (${entry.name})` : `[${index}]`;
    const own: string[] = [];
    for (const key of Object.keys(entry)) if (!KNOWN_FIELDS.has(key)) own.push(`unknown field "${key.slice(0, 32)}"`);
    if (typeof entry.name !== 'string' || !SUBSCRIBER_NAME_PATTERN.test(entry.name)) {
      own.push('name must be 1-64 characters: letters, digits, _ and - (starting with a letter or digit)');
    } else if (seen.has(entry.name.toLowerCase())) {
      own.push(`name "${entry.name}" is used twice (names are case-insensitive)`);
    } else {
      seen.add(entry.name.toLowerCase());
    }
    const urlProblem = subscriberUrlProblem(entry.url, allowInsecureHttp);
    if (urlProblem) own.push(`url ${urlProblem}`);
    const secretProblem = subscriberSecretProblem(entry.secret);
    if (secretProblem) own.push(`secret ${secretProblem}`);
    const events = listOf(entry.events, 'events', (e) => (FEED_EVENT_TYPES as readonly unknown[]).includes(e), (e) => `"${String(e).slice(0, 64)}" is not an event type (${FEED_EVENT_TYPES.join(', ')})`, own);
    const tenants = listOf(entry.tenants, 'tenants', isTenantId, (t) => `"${String(t).slice(0, 64)}" is not a tenant id (${TENANT_ID_RULE})`, own);
    problems.push(...own.map((p) => `${label} ${p}`));
    if (own.length > 0) return;
    const subscriber: EventSubscriber = { name: entry.name as string, url: entry.url as string, secret: entry.secret as string };
    if (events) subscriber.events = events as FeedEventType[];
    if (tenants) subscriber.tenants = tenants as string[];
    subscribers.push(subscriber);
  });
  return { subscribers, problems };
}

function subscriberUrlProblem(value: unknown, allowInsecureHttp: boolean): string | undefined {
  if (typeof value !== 'string') return 'is required (an https URL)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be https (or http to loopback)';
  if (url.username || url.password) return 'must not contain credentials (authenticate the relay by its signature)';
  if (url.hash) return 'must not contain a fragment';
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    return 'must be https: plain http is only allowed to loopback hosts (or set EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP=true)';
  }
  return undefined;
}

/** Never echoes the value: the message says only what shape is expected. */
function subscriberSecretProblem(value: unknown): string | undefined {
  const shape = `must be whsec_ followed by the base64 of ${SECRET_BYTES.min} to ${SECRET_BYTES.max} random bytes (e.g. "whsec_$(openssl rand -base64 32)")`;
  if (typeof value !== 'string') return shape;
  const m = SECRET_PATTERN.exec(value);
  if (!m) return shape;
  const bytes = Buffer.from(m[1], 'base64').length;
  return bytes < SECRET_BYTES.min || bytes > SECRET_BYTES.max ? shape : undefined;
}

function listOf(value: unknown, field: string, isItem: (v: unknown) => boolean, describe: (v: unknown) => string, problems: string[]): unknown[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${field} must be a non-empty array when given (leave it out for all)`);
    return undefined;
  }
  const bad = value.filter((v) => !isItem(v));
  if (bad.length > 0) problems.push(`${field}: ${bad.map(describe).join('; ')}`);
  return [...new Set(value as unknown[])];
}
