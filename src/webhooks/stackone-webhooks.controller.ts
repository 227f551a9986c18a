import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/public.decorator';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { KEEP_RAW_BODY, rawBodyOf } from '../http-edge/json-body';
import { ACCOUNT_WEBHOOK_EXAMPLE } from '../stackone/stackone-webhook.types';
import { WebhookAckDto } from './dto/webhook-ack.dto';
import { StackOneWebhooksService } from './stackone-webhooks.service';
import { SIGNATURE_HEADER } from './webhook-signature';

@ApiTags('webhooks')
@Controller('webhooks')
export class StackOneWebhooksController {
  constructor(private readonly webhooks: StackOneWebhooksService) {}

  /** No tenant credential: StackOne proves itself with the signature, checked over the exact bytes received. */
  @Public()
  @Post('stackone')
  @HttpCode(200)
  @RouteConfig({ [KEEP_RAW_BODY]: true })
  @ApiOperation({
    summary: "StackOne's account webhooks (account.created, account.updated, account.deleted)",
    // No security scheme: the signature header below is the proof (OpenAPI has no scheme for an HMAC).
    security: [],
    description:
      "Enter this URL in StackOne's dashboard with the account events; its signing secret goes in STACKONE_WEBHOOK_SECRET. " +
      'Answers 404 while STACKONE_WEBHOOK_SECRET is unset. Duplicates, other events and deliveries outside the replay window are acknowledged and not processed. ' +
      'Answers 503 + Retry-After (and does not record the delivery as seen) when the event could not be queued for the internal subscribers, so StackOne retries it.',
  })
  @ApiHeader({ name: SIGNATURE_HEADER, required: true, description: 'base64url(HMAC-SHA256(secret, raw body))' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['event'],
      properties: {
        event: { type: 'string', description: 'account.created, account.updated and account.deleted are processed; other events are acknowledged' },
      },
      // StackOne's other fields (account_id, provider, origin_owner_id, …) vary by event: all are accepted.
      additionalProperties: true,
      example: ACCOUNT_WEBHOOK_EXAMPLE,
    },
  })
  @ApiOkResponse({ type: WebhookAckDto })
  @ApiProblemResponses(400, 401, 404, 413, 415, 503)
  async receive(@Req() request: FastifyRequest): Promise<WebhookAckDto> {
    const outcome = await this.webhooks.receive({ rawBody: rawBodyOf(request), signature: request.headers[SIGNATURE_HEADER], body: request.body });
    return { outcome };
  }
}
