// Child of bench/inprocess.mts: builds one compiled service (DIST) in this process, as main.ts does
// but without listening, and answers `round` messages with the CPU per connect session it measured
// over `n` sessions made through Fastify's inject (no client socket, no load generator).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const dist = process.env.DIST as string;
const { loadConfig } = require(join(dist, 'app.config.js')) as typeof import('../src/app.config.ts');
const { createApp } = require(join(dist, 'app.factory.js')) as typeof import('../src/app.factory.ts');
const config = loadConfig(process.env);
// Log lines go where production writes them (pino's stdout stream; the parent sends stdout to /dev/null).
const app: NestFastifyApplication = await createApp(config);
const fastify = app.getHttpAdapter().getInstance();
const { TOKEN, BODY, CONCURRENCY } = process.env as Record<string, string>;

async function session(): Promise<void> {
  const r = await fastify.inject({ method: 'POST', url: '/v1/connect-sessions', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, payload: BODY });
  if (r.statusCode !== 201) throw new Error(`answered ${r.statusCode}: ${r.body.slice(0, 200)}`);
}

process.on('message', (message: { n: number }) => {
  void (async () => {
    const before = process.cpuUsage();
    let left = message.n;
    await Promise.all(Array.from({ length: Number(CONCURRENCY) }, async () => {
      while (left-- > 0) await session();
    }));
    const used = process.cpuUsage(before);
    process.send?.({ cpuUsPerSession: (used.user + used.system) / message.n });
  })().catch((err: unknown) => {
    process.send?.({ error: err instanceof Error ? err.message : String(err) });
  });
});
process.send?.({ ready: true });
