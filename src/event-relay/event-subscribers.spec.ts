import { randomBytes } from 'node:crypto';
import { configRefusal as refusal } from '../../test/support/config';
import { loadConfig } from '../app.config';
import type { RawEnv } from '../config/load-config';

const base: RawEnv = { STACKONE_API_KEY: 'k', AUTH_JWT_SECRET: 'event-subscribers-test-secret-0123456789' };
const secret = (bytes = 32): string => `whsec_${randomBytes(bytes).toString('base64')}`;
const subscribers = (list: unknown, extra: RawEnv = {}): RawEnv => ({ ...base, EVENT_SUBSCRIBERS: typeof list === 'string' ? list : JSON.stringify(list), ...extra });

describe('EVENT_SUBSCRIBERS', () => {
  it('is off by default, with delivery defaults whose schedule spans about a day', () => {
    expect(loadConfig(base).eventRelay).toEqual({ subscribers: [], baseDelayMs: 5_000, maxAttempts: 15, timeoutMs: 10_000, concurrency: 4, memoryMaxJobs: 10_000 });
  });

  it('takes subscribers with optional filters, de-duplicating the filter lists', () => {
    const billing = { name: 'billing', url: 'https://billing.internal.example/hooks/stackone', secret: secret(), events: ['account.created', 'account.created'], tenants: ['org_1'] };
    const sync = { name: 'sync-engine_2', url: 'http://127.0.0.1:9000/events?source=scs', secret: secret(24) };
    const c = loadConfig(subscribers([billing, sync], { EVENT_DELIVERY_BASE_DELAY_MS: '100', EVENT_DELIVERY_MAX_ATTEMPTS: '3' }));
    expect(c.eventRelay.subscribers).toEqual([{ ...billing, events: ['account.created'] }, sync]);
    expect(c.eventRelay).toMatchObject({ baseDelayMs: 100, maxAttempts: 3 });
  });

  it('names every problem of every entry at start-up, each by index and name', () => {
    const message = refusal(
      subscribers([
        { name: 'billing', url: 'http://billing.internal.example/hooks', secret: secret() },
        { name: 'billing', url: 'https://user:pw@sync.example/hooks', secret: secret(), events: ['account.created', 'account.exploded'] },
        { name: 'bad name!', url: 'ftp://x.example', secret: secret(), tenants: ['org ok?'], extra: 1 },
        { name: 'empty', url: 'https://x.example/#frag', secret: secret(), events: [] },
        'not an object',
      ]),
    );
    expect(message).toContain('EVENT_SUBSCRIBERS:');
    expect(message).toContain('[0] (billing) url must be https: plain http is only allowed to loopback hosts (or set EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP=true)');
    expect(message).toContain('[1] (billing) name "billing" is used twice');
    expect(message).toContain('[1] (billing) url must not contain credentials');
    expect(message).toContain('[1] (billing) events: "account.exploded" is not an event type');
    expect(message).toContain('[2] unknown field "extra"');
    expect(message).toContain('[2] name must be 1-64 characters');
    expect(message).toContain('[2] url must be https (or http to loopback)');
    expect(message).toContain('[2] tenants: "org ok?" is not a tenant id');
    expect(message).toContain('[3] (empty) url must not contain a fragment');
    expect(message).toContain('[3] (empty) events must be a non-empty array');
    expect(message).toContain('[4]: expected an object');
    expect(message).not.toContain('pw@');
  });

  it('allows plain http to other hosts only with EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP', () => {
    const plain = [{ name: 'dev', url: 'http://sync.dev.internal/hooks', secret: secret() }];
    expect(refusal(subscribers(plain))).toContain('[0] (dev) url must be https');
    expect(loadConfig(subscribers(plain, { EVENT_SUBSCRIBERS_ALLOW_INSECURE_HTTP: 'true' })).eventRelay.subscribers).toHaveLength(1);
    for (const loopback of ['http://localhost:8080/h', 'http://127.0.0.2/h', 'http://[::1]:9000/h']) {
      expect(loadConfig(subscribers([{ name: 'local', url: loopback, secret: secret() }])).eventRelay.subscribers[0].url).toBe(loopback);
    }
  });

  it('names a bad secret by its subscriber only, never echoing it', () => {
    const weak = ['whsec_c2hvcnQ=', 'plain-secret-without-prefix-0123456789abcdef', `whsec_${randomBytes(80).toString('base64')}`, 'whsec_not base64!!'];
    for (const bad of weak) {
      const message = refusal(subscribers([{ name: 'billing', url: 'https://b.example/h', secret: bad }]));
      expect(message).toContain('[0] (billing) secret must be whsec_ followed by the base64 of 24 to 64 random bytes');
      expect(message).not.toContain(bad);
    }
    expect(refusal(subscribers([{ name: 'billing', url: 'https://b.example/h' }]))).toContain('[0] (billing) secret must be');
  });

  it('refuses what is not a JSON array, and bad delivery settings', () => {
    expect(refusal(subscribers('[{"name":'))).toContain('EVENT_SUBSCRIBERS: not valid JSON');
    expect(refusal(subscribers({ name: 'x' }))).toContain('EVENT_SUBSCRIBERS: expected a JSON array');
    const settings = refusal({ ...base, EVENT_DELIVERY_MAX_ATTEMPTS: '0', EVENT_DELIVERY_TIMEOUT_MS: '5', EVENT_DELIVERY_CONCURRENCY: 'many' });
    expect(settings).toContain('EVENT_DELIVERY_MAX_ATTEMPTS: must be at least 1');
    expect(settings).toContain('EVENT_DELIVERY_TIMEOUT_MS: must be at least 100');
    expect(settings).toContain('EVENT_DELIVERY_CONCURRENCY: must be a whole number');
  });
});
