/** A StackOne provider key (`hibob`, `greenhouse`): what request bodies, queries and the allow-list accept. */
export const PROVIDER_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function isProviderKey(value: unknown): value is string {
  return typeof value === 'string' && PROVIDER_KEY_PATTERN.test(value);
}
