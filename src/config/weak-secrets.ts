/**
 * Refuses secrets anyone could know: .env.example's placeholders (published with the code) and
 * values that are obviously not random. Messages never contain the value.
 */

/** Words that only a placeholder contains; a random secret or a real StackOne key never does. */
const PLACEHOLDER_PATTERN = /replace[-_ ]?with|change[-_ ]?me|placeholder|your[-_ ](stackone|api|jwt|secret)/i;

/** A 32-byte random secret in hex, base64 or base64url shows far more distinct characters than this. */
const MIN_DISTINCT_CHARACTERS = 8;

const HOW_TO_GENERATE = 'generate one with `openssl rand -base64 32`';

function looksLikePlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERN.test(value);
}

/** Why STACKONE_API_KEY cannot be used, or undefined. */
export function stackOneApiKeyProblem(value: unknown): string | undefined {
  return typeof value === 'string' && looksLikePlaceholder(value)
    ? "is a placeholder (as in .env.example); set your StackOne project's API key"
    : undefined;
}

/** Why AUTH_JWT_SECRET cannot be used, or undefined. */
export function jwtSecretProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (looksLikePlaceholder(value)) return `is a placeholder (as in .env.example), so anyone could sign tokens with it; ${HOW_TO_GENERATE}`;
  if (new Set(value).size < MIN_DISTINCT_CHARACTERS) {
    return `too little variety (fewer than ${MIN_DISTINCT_CHARACTERS} different characters) to be random; ${HOW_TO_GENERATE}`;
  }
  return undefined;
}

/** Why STACKONE_WEBHOOK_SECRET (a comma list) cannot be used, or undefined. Items are counted, never echoed. */
export function webhookSecretsProblem(secrets: unknown): string | undefined {
  if (!Array.isArray(secrets)) return undefined;
  const placeholders = secrets.filter((s) => typeof s === 'string' && looksLikePlaceholder(s)).length;
  return placeholders > 0
    ? `${placeholders === 1 ? 'one secret is a placeholder' : `${placeholders} secrets are placeholders`} (as in .env.example); copy the secret StackOne shows for the webhook endpoint`
    : undefined;
}
