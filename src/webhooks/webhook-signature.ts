import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header StackOne signs its webhooks in. */
export const SIGNATURE_HEADER = 'x-stackone-signature';

/** StackOne's signature: base64url (unpadded) of HMAC-SHA256 over the raw request body, keyed with the endpoint's secret. */
function webhookSignature(secret: string, rawBody: Buffer): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64url');
}

/**
 * True when `header` is the signature of `rawBody` under any of `secrets` (several while rotating).
 * Compared in constant time on equal-length buffers; every secret is tried, so the time taken does
 * not say which one matched. A missing, repeated or differently-sized header is simply false.
 */
export function verifyWebhookSignature(rawBody: Buffer, header: string | string[] | undefined, secrets: readonly string[]): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const given = Buffer.from(header, 'utf8');
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(webhookSignature(secret, rawBody), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) valid = true;
  }
  return valid;
}
