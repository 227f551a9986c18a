import { ApiProperty } from '@nestjs/swagger';
import type { WebhookAck } from '../stackone-webhooks.service';

export class WebhookAckDto {
  @ApiProperty({
    enum: ['accepted', 'duplicate', 'ignored', 'stale'],
    example: 'accepted',
    description:
      'accepted: processed now. duplicate: the same delivery was already processed. ignored: not an account event. ' +
      'stale: sent_at outside the replay window (or missing), so not processed.',
  })
  outcome: WebhookAck;
}
