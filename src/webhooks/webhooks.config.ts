import { Transform } from 'class-transformer';
import { EnvInt, EnvRule, toList } from '../config/env.decorators';
import type { Settings } from '../config/load-config';
import { looksLikePlaceholder } from '../config/placeholders';

export interface WebhooksConfig {
  /** StackOne's webhook signing secrets (more than one while rotating); empty: POST /webhooks/stackone answers 404. */
  secrets: string[];
  /** A delivery is accepted only while its sent_at is within this many seconds of now; duplicates are remembered as long. */
  maxAgeSeconds: number;
}

export class WebhooksVariables {
  /** A comma list, so a new secret can be added before the old one is removed. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value))
  @EnvRule('webhookSecrets', (value) => webhookSecretsProblem(value))
  STACKONE_WEBHOOK_SECRET: string[] = [];
  @EnvInt(1) STACKONE_WEBHOOK_MAX_AGE_SECONDS = 300;
}

export const webhooksSettings: Settings<WebhooksVariables, WebhooksConfig> = {
  variables: WebhooksVariables,
  build: (env) => ({ secrets: env.STACKONE_WEBHOOK_SECRET, maxAgeSeconds: env.STACKONE_WEBHOOK_MAX_AGE_SECONDS }),
};

/** Why STACKONE_WEBHOOK_SECRET (a comma list) cannot be used, or undefined. Items are counted, never echoed. */
function webhookSecretsProblem(secrets: unknown): string | undefined {
  if (!Array.isArray(secrets)) return undefined;
  const placeholders = secrets.filter((s) => typeof s === 'string' && looksLikePlaceholder(s)).length;
  return placeholders > 0
    ? `${placeholders === 1 ? 'one secret is a placeholder' : `${placeholders} secrets are placeholders`} (as in .env.example); copy the secret StackOne shows for the webhook endpoint`
    : undefined;
}
