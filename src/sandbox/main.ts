/* The sandbox as its own process: `npm run start:sandbox`. */
import { createSandbox } from './sandbox';
import { providersFrom } from './sandbox.providers';

async function main(): Promise<void> {
  const sandbox = await createSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    port: Number(process.env.SANDBOX_PORT ?? 4010),
    apiKey: process.env.SANDBOX_API_KEY ?? 'sandbox-api-key',
    publicUrl: process.env.SANDBOX_PUBLIC_URL,
    providers: providersFrom(process.env.SANDBOX_PROVIDERS),
  });
  console.log(`StackOne sandbox listening on ${sandbox.url} (API key via SANDBOX_API_KEY; control API under /__sandbox/)`);
  const stop = (): void => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`Sandbox failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
