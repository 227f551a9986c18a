import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as OTLP/JSON sends it, flattened: attributes as a plain record. */
export interface ReceivedSpan {
  scope: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** The resource's attributes (service.name, ...). */
  resource: Record<string, unknown>;
  status?: { code?: number; message?: string };
}

export interface ReceivedExport {
  contentType: string;
  path: string;
  body: Buffer;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { scope?: { name?: string }; spans?: (Omit<ReceivedSpan, 'scope' | 'attributes' | 'resource'> & { attributes?: OtlpAttribute[] })[] }[];
  }[];
}

const flat = (attributes: OtlpAttribute[] = []): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes) {
    const v = Object.values(value)[0];
    // OTLP/JSON sends 64-bit integers as strings.
    out[key] = 'intValue' in value ? Number(v) : v;
  }
  return out;
};

/**
 * An OTLP/HTTP collector on 127.0.0.1 (port 0) for the tracing specs: keeps every POST as received
 * (`exports`, whatever the protocol) and the spans of the OTLP/JSON ones (`spans`).
 */
export class OtlpReceiver {
  readonly exports: ReceivedExport[] = [];
  readonly spans: ReceivedSpan[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    const ref: { self?: OtlpReceiver } = {};
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        ref.self?.take({ contentType: String(req.headers['content-type'] ?? ''), path: req.url ?? '', body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    ref.self = new OtlpReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return ref.self;
  }

  /** Waits until `count` spans match (default one); throws with the names received when it times out. */
  async waitForSpans(what: (s: ReceivedSpan) => boolean, count = 1, timeoutMs = 10_000): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.spans.filter(what);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`expected ${count} matching span(s) within ${timeoutMs} ms; received: ${JSON.stringify(this.spans.map((s) => [s.name, s.traceId]))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Every export as text, for searching what spans must not hold. */
  everything(): string {
    return this.exports.map((e) => e.body.toString('latin1')).join('\n');
  }

  reset(): void {
    this.exports.length = 0;
    this.spans.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private take(received: ReceivedExport): void {
    this.exports.push(received);
    if (!received.contentType.startsWith('application/json')) return;
    const body = JSON.parse(received.body.toString('utf8')) as OtlpJson;
    for (const rs of body.resourceSpans ?? []) {
      const resource = flat(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) this.spans.push({ ...span, scope: ss.scope?.name ?? '', attributes: flat(span.attributes), resource });
      }
    }
  }
}
