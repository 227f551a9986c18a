import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TestSubscriber } from './support/event-subscriber';
import { sha256Hex, tenantToken } from './support/jwt';
import { OtlpReceiver, ReceivedSpan } from './support/otlp-receiver';
import { ServiceProcess, startServiceProcess } from './support/processes';
import { cleanUpRedisKeys, describeWithRedis, redisForTests, redisTestPrefix, redisUrl } from './support/redis';
import { basicAuth, startStackOneStandIn, StackOneStandIn } from './support/stackone-stand-in';
import { accountWebhook, signStackOneWebhook } from './support/stackone-webhook';

const KEY = 'sk_tracing_e2e_stackone_key_5d1e';
const JWT_SECRET = 'tracing-e2e-jwt-secret-0123456789abcdef0123';
const WEBHOOK_SECRET = 'whsec_tracing_e2e_9b3f27';
const SERVICE_API_KEY = 'sak_tracing_e2e_service_key_7c0a';
/** In the subscriber's URL (as an operator might configure it) and in a caller's query: never in a span. */
const URL_TOKEN = 'url-token-tracing-e2e-41aa';
const PROBE = join(__dirname, 'support', 'loaded-otel-modules.ts');

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;

const newTraceparent = (): { traceId: string; parentId: string; header: string } => {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-01` };
};
const parseTraceparent = (header: string | undefined): { traceId: string; parentId: string } | undefined => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(header ?? '');
  return m ? { traceId: m[1], parentId: m[2] } : undefined;
};
/** The @opentelemetry packages the stopped service had loaded (printed by the probe at exit). */
const loadedOtelPackages = (svc: ServiceProcess): string[] => JSON.parse(/loaded-otel-packages (\[.*\])/.exec(svc.output())?.[1] ?? 'null') as string[];
const logLines = (svc: ServiceProcess): Record<string, unknown>[] =>
  svc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The first log line that matches, once the child's output has been read (it may lag the answer). */
async function logLine(svc: ServiceProcess, what: (l: Record<string, unknown>) => boolean, timeoutMs = 5_000): Promise<Record<string, unknown> | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logLines(svc).find(what);
    if (found || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 25));
  }
}

function postWebhook(base: string, body: Record<string, unknown>, traceparent: string): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(`${base}/webhooks/stackone`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-stackone-signature': signStackOneWebhook(WEBHOOK_SECRET, raw), traceparent },
    body: raw,
  });
}

/**
 * Traces of the built service (dist/main.js, preloaded with dist/instrument.js as `npm run
 * start:prod` does): require-hook instrumentation does nothing inside Jest, so the service runs as a
 * child process exporting to an OTLP/HTTP receiver on 127.0.0.1, with the StackOne stand-in and a
 * subscriber as its dependencies.
 */
describe('tracing (OTEL_* variables, the built service exporting to an OTLP receiver)', () => {
  let receiver: OtlpReceiver;
  let standIn: StackOneStandIn;
  let subscriber: TestSubscriber;
  let started: ServiceProcess[] = [];

  const serviceEnv = (over: Record<string, string> = {}): Record<string, string> => ({
    STACKONE_API_KEY: KEY,
    STACKONE_BASE_URL: standIn.url,
    AUTH_JWT_SECRET: JWT_SECRET,
    AUTH_API_KEYS: JSON.stringify([{ name: 'billing', sha256: sha256Hex(SERVICE_API_KEY), tenantId: 'org_acme', tenantName: 'Acme Inc' }]),
    STACKONE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'sync', url: `${subscriber.url}?token=${URL_TOKEN}`, secret: subscriber.secret }]),
    EVENT_DELIVERY_BASE_DELAY_MS: '100',
    LOG_LEVEL: 'info',
    ...over,
  });
  const tracingEnv = (protocol = 'http/json'): Record<string, string> => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_SERVICE_NAME: 'connect-e2e',
  });
  const start = async (env: Record<string, string>): Promise<ServiceProcess> => {
    const svc = await startServiceProcess(env, {
      nodeArgs: ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', '--require', PROBE, '--require=./dist/instrument.js'],
      timeoutMs: 20_000,
    });
    started.push(svc);
    return svc;
  };
  const bearer = (): Promise<string> => tenantToken({ org_id: 'org_acme', org_name: 'Acme Inc', email: 'jane@acme.example' }, { secret: JWT_SECRET });
  const createSession = async (svc: ServiceProcess, headers: Record<string, string>): Promise<Response> =>
    fetch(`${svc.url}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await bearer()}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' }),
    });

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    standIn = await startStackOneStandIn({ apiKey: KEY });
    subscriber = await TestSubscriber.start();
  });
  afterEach(async () => {
    await Promise.all(started.map((s) => s.stop()));
    started = [];
    receiver.reset();
    standIn.reset();
    subscriber.deliveries.length = 0;
  });
  afterAll(async () => {
    await receiver?.close();
    await standIn?.close();
    await subscriber?.close();
  });

  it("continues a caller's traceparent: the request's span is its child, the StackOne calls are the request's, StackOne is sent their traceparent, and the log line carries the ids", async () => {
    const svc = await start(serviceEnv(tracingEnv()));
    const caller = newTraceparent();
    expect((await createSession(svc, { traceparent: caller.header })).status).toBe(201);

    const [server] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === SERVER);
    expect(server).toMatchObject({ parentSpanId: caller.parentId, name: 'POST /v1/connect-sessions', scope: '@opentelemetry/instrumentation-http' });
    expect(server.attributes).toMatchObject({ 'http.route': '/v1/connect-sessions', 'http.response.status_code': 201 });
    expect(server.resource['service.name']).toBe('connect-e2e');

    // With a provider, the session is two StackOne calls: the account look-up and the creation.
    const calls = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === CLIENT, 2);
    expect(calls.map((c) => [c.name, c.parentSpanId, c.attributes['url.path']]).sort()).toEqual([
      ['GET', server.spanId, '/accounts'],
      ['POST', server.spanId, '/connect_sessions'],
    ]);
    const sent = standIn.seen.map((r) => parseTraceparent(r.headers.traceparent as string | undefined));
    expect(sent).toHaveLength(2);
    for (const tp of sent) expect(tp?.traceId).toBe(caller.traceId);
    expect(new Set(sent.map((tp) => tp?.parentId))).toEqual(new Set(calls.map((c) => c.spanId)));

    const line = await logLine(svc, (l) => l.msg === 'request completed' && l.path === '/v1/connect-sessions');
    expect(line).toMatchObject({ trace_id: caller.traceId, span_id: server.spanId });
    expect(svc.output()).toContain(`Tracing on: OTLP http/json to ${receiver.url}, sampler parentbased_always_on`);

    await svc.stop();
    expect(loadedOtelPackages(svc)).toEqual(expect.arrayContaining(['sdk-trace', 'exporter-trace-otlp-http', 'instrumentation-http', 'instrumentation-undici']));
  }, 45_000);

  it("a subscriber's delivery through the in-process queue carries a traceparent of the StackOne webhook's trace", async () => {
    const svc = await start(serviceEnv(tracingEnv()));
    const caller = newTraceparent();
    expect((await postWebhook(svc.url, accountWebhook(), caller.header)).status).toBe(200);
    const [delivery] = await subscriber.waitFor(1);
    expect(parseTraceparent(delivery.traceparent)?.traceId).toBe(caller.traceId);

    const [server] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === SERVER);
    expect(server).toMatchObject({ name: 'POST /webhooks/stackone', parentSpanId: caller.parentId });
    const [deliver] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === CONSUMER);
    expect(deliver).toMatchObject({ name: 'deliver sync', parentSpanId: server.spanId });
    expect(deliver.attributes).toMatchObject({ 'messaging.system': 'in-process', 'messaging.message.id': delivery.webhookId, 'relay.attempt': 1 });
    const [post] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === CLIENT);
    expect(post.parentSpanId).toBe(deliver.spanId);
    expect(parseTraceparent(delivery.traceparent)?.parentId).toBe(post.spanId);
    // The subscriber's URL holds a token: its value is not in the span.
    expect(post.attributes['url.full']).toBe(`${subscriber.url}?token=REDACTED`);
  }, 45_000);

  it('no span holds a credential: API key, JWT, Basic or Bearer header, X-API-Key, webhook and subscriber secrets, session token, query values', async () => {
    const svc = await start(serviceEnv(tracingEnv()));
    const jwt = await bearer();
    const created = await fetch(`${svc.url}/v1/connect-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', traceparent: newTraceparent().header },
      body: JSON.stringify({ originUsername: 'jane@acme.example', provider: 'hibob' }),
    });
    expect(created.status).toBe(201);
    const sessionToken = ((await created.json()) as { token: string }).token;
    expect(sessionToken).toMatch(/^tok_/);
    expect((await fetch(`${svc.url}/v1/accounts?token=${URL_TOKEN}`, { headers: { 'x-api-key': SERVICE_API_KEY } })).status).toBeLessThan(500);
    expect((await fetch(`${svc.url}/v1/accounts`, { headers: { 'x-api-key': SERVICE_API_KEY } })).status).toBe(200);
    expect((await postWebhook(svc.url, accountWebhook(), newTraceparent().header)).status).toBe(200);
    await subscriber.waitFor(1);
    // Every request's spans are in, and the delivery's call to the subscriber.
    await receiver.waitForSpans((s) => s.kind === CLIENT && s.attributes['url.path'] === '/hooks/events');
    await receiver.waitForSpans((s) => s.kind === SERVER, 4);

    const everything = receiver.everything();
    expect(everything).toContain('/v1/accounts');
    const secrets = {
      KEY,
      basic: basicAuth(KEY).slice('Basic '.length),
      jwt,
      SERVICE_API_KEY,
      WEBHOOK_SECRET,
      subscriberSecret: subscriber.secret,
      subscriberSecretBody: subscriber.secret.slice('whsec_'.length),
      URL_TOKEN,
      sessionToken,
      JWT_SECRET,
    };
    for (const [name, secret] of Object.entries(secrets)) expect({ name, found: everything.includes(secret) }).toEqual({ name, found: false });
    for (const word of ['Basic ', 'Bearer ', 'authorization', 'x-api-key']) expect({ word, found: everything.toLowerCase().includes(word.toLowerCase()) }).toEqual({ word, found: false });
  }, 45_000);

  it('flushes the spans still queued when it stops (SIGTERM), though the next export was a minute away', async () => {
    const svc = await start(serviceEnv({ ...tracingEnv(), OTEL_BSP_SCHEDULE_DELAY: '60000' }));
    const caller = newTraceparent();
    expect((await createSession(svc, { traceparent: caller.header })).status).toBe(201);
    await svc.stop();
    expect(await svc.closed).toBe(0);
    expect(receiver.spans.filter((s) => s.traceId === caller.traceId).map((s) => s.kind).sort()).toEqual([SERVER, CLIENT, CLIENT].sort());
  }, 45_000);

  it('exports http/protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is', async () => {
    const svc = await start(serviceEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_BSP_SCHEDULE_DELAY: '50' }));
    const caller = newTraceparent();
    expect((await createSession(svc, { traceparent: caller.header })).status).toBe(201);
    const deadline = Date.now() + 10_000;
    const carries = (body: Buffer): boolean => body.includes(Buffer.from(caller.traceId, 'hex'));
    while (!receiver.exports.some((e) => carries(e.body)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const exported = receiver.exports.find((e) => carries(e.body));
    // The trace id's 16 bytes are in the protobuf body (no decoder needed to see the trace arrived).
    expect(exported).toMatchObject({ contentType: 'application/x-protobuf', path: '/custom/traces' });
    expect(receiver.spans).toEqual([]);
  }, 45_000);

  it('off without an OTLP endpoint: no traceparent is sent on, and the SDK is never loaded', async () => {
    const svc = await start(serviceEnv());
    const caller = newTraceparent();
    expect((await createSession(svc, { traceparent: caller.header })).status).toBe(201);
    expect((await postWebhook(svc.url, accountWebhook(), caller.header)).status).toBe(200);
    const [delivery] = await subscriber.waitFor(1);
    expect(delivery.traceparent).toBeUndefined();
    expect(standIn.seen.length).toBeGreaterThan(0);
    expect(standIn.seen.map((r) => r.headers.traceparent)).toEqual(standIn.seen.map(() => undefined));
    const line = await logLine(svc, (l) => l.msg === 'request completed');
    expect(line).toBeDefined();
    expect(line).not.toHaveProperty('trace_id');
    await svc.stop();
    // Only the API (a no-op without the SDK; the relay uses it to carry trace context) is loaded.
    expect(loadedOtelPackages(svc)).toEqual(['api']);
    expect(receiver.exports).toEqual([]);
  }, 45_000);

  it('off with OTEL_SDK_DISABLED=true even with an endpoint, and says so at start-up', async () => {
    const svc = await start(serviceEnv({ ...tracingEnv(), OTEL_SDK_DISABLED: 'true' }));
    expect((await createSession(svc, { traceparent: newTraceparent().header })).status).toBe(201);
    expect(standIn.seen.map((r) => r.headers.traceparent)).toEqual(standIn.seen.map(() => undefined));
    expect(svc.output()).toContain('Tracing off: OTEL_SDK_DISABLED=true');
    // Well past the 50 ms export delay tracing would have used.
    await new Promise((r) => setTimeout(r, 500));
    await svc.stop();
    expect(loadedOtelPackages(svc)).toEqual(['api']);
    expect(receiver.exports).toEqual([]);
  }, 45_000);
});

describeWithRedis('tracing with Redis: BullMQ carries the trace to the subscriber', () => {
  let receiver: OtlpReceiver;
  let standIn: StackOneStandIn;
  let subscriber: TestSubscriber;
  let svc: ServiceProcess | undefined;
  const redis = redisForTests();

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    standIn = await startStackOneStandIn({ apiKey: KEY });
    subscriber = await TestSubscriber.start();
  });
  afterAll(async () => {
    await svc?.stop();
    await cleanUpRedisKeys(redis());
    await receiver?.close();
    await standIn?.close();
    await subscriber?.close();
  });

  it("a delivery through BullMQ carries a traceparent of the webhook's trace; Redis commands are spans of the request, by command name only", async () => {
    svc = await startServiceProcess(
      {
        STACKONE_API_KEY: KEY,
        STACKONE_BASE_URL: standIn.url,
        AUTH_JWT_SECRET: JWT_SECRET,
        STACKONE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        REDIS_URL: redisUrl as string,
        REDIS_KEY_PREFIX: redisTestPrefix(),
        EVENT_SUBSCRIBERS: JSON.stringify([{ name: 'sync', url: subscriber.url, secret: subscriber.secret }]),
        EVENT_DELIVERY_BASE_DELAY_MS: '100',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '50',
      },
      { nodeArgs: ['--require=./dist/instrument.js'], timeoutMs: 20_000 },
    );
    const caller = newTraceparent();
    const event = accountWebhook();
    expect((await postWebhook(svc.url, event, caller.header)).status).toBe(200);
    const [delivery] = await subscriber.waitFor(1);
    expect(parseTraceparent(delivery.traceparent)?.traceId).toBe(caller.traceId);

    const [server] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === SERVER);
    const [deliver] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === CONSUMER);
    expect(deliver).toMatchObject({ name: 'deliver sync', parentSpanId: server.spanId });
    expect(deliver.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.message.id': delivery.webhookId });
    const [post] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.kind === CLIENT && s.attributes['url.full'] === subscriber.url);
    expect(parseTraceparent(delivery.traceparent)?.parentId).toBe(post.spanId);

    const redisSpans: ReceivedSpan[] = await receiver.waitForSpans((s) => s.traceId === caller.traceId && s.attributes['db.system.name'] === 'redis');
    for (const s of redisSpans) expect(s.attributes['db.query.text']).toMatch(/^[a-z]+$/);
    // No Redis span holds a key or an argument (the account id is in the keys this request wrote); the
    // id appears only, rightly, as the path of the StackOne read of that account that follows the webhook.
    const id = event.account_id as string;
    expect(JSON.stringify(receiver.spans.filter((s) => s.attributes['db.system.name'] === 'redis'))).not.toContain(id);
    for (const s of receiver.spans.filter((span) => JSON.stringify(span).includes(id))) expect(s.attributes['url.path']).toBe(`/accounts/${id}`);
  }, 45_000);
});
