import { createHmac } from 'node:crypto';
import { verifyWebhookSignature } from './webhook-signature';

const SECRET = 'whsec_current_0123456789';
const OLD = 'whsec_previous_9876543210';
const body = Buffer.from('{"event":"account.created","account_id":"46132201","sent_at":"2026-11-25T10:00:00.000Z"}');
// Written out independently of the code under test: StackOne's scheme, as its example app computes it.
const sign = (secret: string, bytes: Buffer): string => createHmac('sha256', secret).update(bytes).digest('base64url');

describe(verifyWebhookSignature.name, () => {
  it('accepts the base64url HMAC-SHA256 of the exact body', () => {
    expect(verifyWebhookSignature(body, sign(SECRET, body), [SECRET])).toBe(true);
  });

  it('refuses a signature made with another secret', () => {
    expect(verifyWebhookSignature(body, sign('whsec_someone_else', body), [SECRET])).toBe(false);
  });

  it('accepts either secret while rotating, in any order', () => {
    expect(verifyWebhookSignature(body, sign(OLD, body), [SECRET, OLD])).toBe(true);
    expect(verifyWebhookSignature(body, sign(SECRET, body), [OLD, SECRET])).toBe(true);
    expect(verifyWebhookSignature(body, sign(OLD, body), [SECRET])).toBe(false);
  });

  it.each([[undefined], [''], [['a', 'b']]])('refuses a missing or repeated header (%j)', (header) => {
    expect(verifyWebhookSignature(body, header, [SECRET])).toBe(false);
  });

  it('refuses a body changed after signing, even by one byte or by white space', () => {
    const signature = sign(SECRET, body);
    expect(verifyWebhookSignature(Buffer.from(body.toString().replace('46132201', '46132202')), signature, [SECRET])).toBe(false);
    expect(verifyWebhookSignature(Buffer.from(`${body.toString()} `), signature, [SECRET])).toBe(false);
  });

  it('refuses signatures of another length without throwing: truncated, padded, hex, or not base64url at all', () => {
    const signature = sign(SECRET, body);
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    for (const header of [signature.slice(0, -1), `${signature}=`, `${signature}A`, hex, 'x', 'é'.repeat(43)]) {
      expect([header, verifyWebhookSignature(body, header, [SECRET])]).toEqual([header, false]);
    }
  });

  it('refuses everything when no secret is configured', () => {
    expect(verifyWebhookSignature(body, sign('', body), [])).toBe(false);
  });
});
