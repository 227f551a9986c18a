/* The sandbox as its own process: `npm run start:sandbox`. */
import { createSandbox, DEFAULT_SANDBOX_API_KEY } from './sandbox';
import { providersFrom } from './providers';

async function main(): Promise<void> {
  const customKey = process.env.SANDBOX_API_KEY !== undefined && process.env.SANDBOX_API_KEY !== '';
  const sandbox = await createSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    port: Number(process.env.SANDBOX_PORT ?? 4010),
    apiKey: customKey ? process.env.SANDBOX_API_KEY : DEFAULT_SANDBOX_API_KEY,
    publicUrl: process.env.SANDBOX_PUBLIC_URL,
    providers: providersFrom(process.env.SANDBOX_PROVIDERS),
  });
  // The default key is public (it is in the README); a key the user chose is not echoed.
  const key = customKey ? 'the value of SANDBOX_API_KEY' : `${DEFAULT_SANDBOX_API_KEY} (the default; SANDBOX_API_KEY sets another)`;
  console.log(`StackOne sandbox listening on ${sandbox.url}\n  accepts API key: ${key}, as the HTTP Basic user name\n  control API under /__sandbox/`);
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
