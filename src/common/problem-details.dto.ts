import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class ProblemFieldErrorDto {
  @ApiProperty({ description: 'JSON path of the offending field', example: 'expiresIn' })
  field: string;

  @ApiProperty({ description: 'What is wrong with it', example: 'expiresIn must not be greater than 2592000' })
  message: string;
}

/** RFC 9457 problem details: the body of every error answer (media type application/problem+json). */
export class ProblemDetailsDto {
  @ApiProperty({ description: 'URI identifying the problem type', example: 'urn:stackone-connect-service:problem:validation' })
  type: string;

  @ApiProperty({ description: 'Short, human-readable summary of the problem type', example: 'Request validation failed' })
  title: string;

  @ApiProperty({ description: 'HTTP status code', example: 400 })
  status: number;

  @ApiPropertyOptional({ description: 'Explanation specific to this occurrence', example: 'The request body is invalid.' })
  detail?: string;

  @ApiProperty({ description: 'The request path', example: '/v1/connect-sessions' })
  instance: string;

  @ApiProperty({ description: 'Request id (also in the X-Request-Id response header)', example: '4f1c2a9e-3b7d-4a55-9a43-0c9e1e7b2d11' })
  requestId: string;

  @ApiPropertyOptional({ type: [ProblemFieldErrorDto], description: 'Field errors, for validation problems' })
  errors?: ProblemFieldErrorDto[];
}
