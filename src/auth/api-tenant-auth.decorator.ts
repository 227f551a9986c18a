import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiExtraModels, ApiSecurity } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem-responses.decorator';
import { ProblemDetailsDto } from '../common/problem-details.dto';

/**
 * Swagger: this route takes a bearer JWT ('bearer') or a service API key ('api-key'), and may answer
 * 401/403 with a ProblemDetailsDto. The responses are declared under application/problem+json (what
 * the problem filter sends) rather than via `type:`, which would advertise application/json.
 */
export function ApiTenantAuth(): ClassDecorator & MethodDecorator {
  return applyDecorators(ApiExtraModels(ProblemDetailsDto), ApiBearerAuth('bearer'), ApiSecurity('api-key'), ApiProblemResponses(401, 403));
}
