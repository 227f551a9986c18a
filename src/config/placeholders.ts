/** Words that only a placeholder contains (as in .env.example, published with the code); a random secret or a real key never does. */
const PLACEHOLDER_PATTERN = /replace[-_ ]?with|change[-_ ]?me|placeholder|your[-_ ](stackone|api|jwt|secret)/i;

/** For the rules that refuse a secret anyone could know; the features word their own messages, never echoing the value. */
export function looksLikePlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERN.test(value);
}
