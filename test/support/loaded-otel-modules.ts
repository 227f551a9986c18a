// Preloaded into the service by test/tracing.e2e-spec.ts (`--require`, through Node's type
// stripping): when the process exits, prints one line naming the @opentelemetry packages it loaded.
// The service is CommonJS, so everything it requires is in require.cache.
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const { cache } = createRequire(`${process.cwd()}/`);
process.on('exit', () => {
  const packages = new Set(Object.keys(cache).flatMap((path) => /node_modules\/@opentelemetry\/([^/]+)\//.exec(path)?.[1] ?? []));
  writeSync(1, `\nloaded-otel-packages ${JSON.stringify([...packages].sort())}\n`);
});
