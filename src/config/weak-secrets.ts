/**
 * Refuses secrets anyone could know: .env.example's placeholders (published with the code) and
 * values that are obviously not random. Messages name the variable, never the value.
 */

/** Words that only a placeholder contains; a random secret or a real StackOne key never does. */
const PLACEHOLDER_PATTERN = /replace[-_ ]?with|change[-_ ]?me|placeholder|your[-_ ](stackone|api|jwt|secret)/i;

/** A 32-byte random secret in hex, base64 or base64url shows far more distinct characters than this. */
const MIN_DISTINCT_CHARACTERS = 8;

const HOW_TO_GENERATE = 'generate one with `openssl rand -base64 32`';

export function looksLikePlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERN.test(value);
}

/** One problem line per weak secret, in the loadConfig problems format. */
export function weakSecretProblems(env: { STACKONE_API_KEY?: string; AUTH_JWT_SECRET?: string }): string[] {
  const problems: string[] = [];
  if (env.STACKONE_API_KEY !== undefined && looksLikePlaceholder(env.STACKONE_API_KEY)) {
    problems.push("STACKONE_API_KEY: is a placeholder (as in .env.example); set your StackOne project's API key");
  }
  const secret = env.AUTH_JWT_SECRET;
  if (secret !== undefined) {
    if (looksLikePlaceholder(secret)) {
      problems.push(`AUTH_JWT_SECRET: is a placeholder (as in .env.example), so anyone could sign tokens with it; ${HOW_TO_GENERATE}`);
    } else if (new Set(secret).size < MIN_DISTINCT_CHARACTERS) {
      problems.push(`AUTH_JWT_SECRET: too little variety (fewer than ${MIN_DISTINCT_CHARACTERS} different characters) to be random; ${HOW_TO_GENERATE}`);
    }
  }
  return problems;
}
