import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';

/** Swagger: this route takes a bearer JWT or a service API key, and may answer 401/403. */
export function ApiTenantAuth(): ClassDecorator & MethodDecorator {
  return applyDecorators(ApiBearerAuth('bearer'), ApiSecurity('api-key'), ApiProblemResponses(401, 403));
}
