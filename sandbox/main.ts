/* The sandbox as its own process: `npm run start:sandbox`. */
import { createSandbox, DEFAULT_SANDBOX_API_KEY } from './sandbox';
import { providersFrom } from './providers';

/** SANDBOX_WEBHOOK_URL with SANDBOX_WEBHOOK_SECRET, or neither. */
function webhookTarget(): { url: string; secret: string } | undefined {
  const url = process.env.SANDBOX_WEBHOOK_URL || undefined;
  const secret = process.env.SANDBOX_WEBHOOK_SECRET || undefined;
  if (!url && !secret) return undefined;
  if (!url || !secret) throw new Error('SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET go together: set both or neither');
  if (!/^https?:\/\//.test(url)) throw new Error('SANDBOX_WEBHOOK_URL must be an http(s) URL');
  return { url, secret };
}

async function main(): Promise<void> {
  const webhook = webhookTarget();
  const customKey = process.env.SANDBOX_API_KEY !== undefined && process.env.SANDBOX_API_KEY !== '';
  const sandbox = await createSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    port: Number(process.env.SANDBOX_PORT ?? 4010),
    apiKey: customKey ? process.env.SANDBOX_API_KEY : DEFAULT_SANDBOX_API_KEY,
    publicUrl: process.env.SANDBOX_PUBLIC_URL,
    providers: providersFrom(process.env.SANDBOX_PROVIDERS),
    webhook,
  });
  // The default key is public (it is in the README); a key the user chose is not echoed.
  const key = customKey ? 'the value of SANDBOX_API_KEY' : `${DEFAULT_SANDBOX_API_KEY} (the default; SANDBOX_API_KEY sets another)`;
  // The webhook secret is never echoed.
  const hooks = webhook ? `signed account webhooks to ${webhook.url}` : 'no webhooks (set SANDBOX_WEBHOOK_URL and SANDBOX_WEBHOOK_SECRET)';
  console.log(`StackOne sandbox listening on ${sandbox.url}\n  accepts API key: ${key}, as the HTTP Basic user name\n  sends ${hooks}\n  control API under /__sandbox/`);
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
