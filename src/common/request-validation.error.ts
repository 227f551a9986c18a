import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './problem';

/** Thrown by the global ValidationPipe; the problem filter turns `errors` into problem+json `errors[]`. */
export class RequestValidationError extends BadRequestException {
  constructor(
    readonly errors: FieldError[],
    detail = 'The request is invalid; see errors[] for each field.',
  ) {
    super(detail);
  }

  static fromValidationErrors(errors: ValidationError[]): RequestValidationError {
    const fields = flatten(errors, '');
    const ownerField = fields.find((f) => f.message.includes(OWNER_FROM_CREDENTIALS));
    return new RequestValidationError(
      fields,
      ownerField ? OWNER_FROM_CREDENTIALS : 'The request is invalid; see errors[] for each field.',
    );
  }
}

export const OWNER_FROM_CREDENTIALS =
  'The owner (origin_owner_id / origin_owner_name) comes from your credentials and must not be sent in the body.';

function flatten(errors: ValidationError[], prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) out.push({ field, message });
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * The one ValidationPipe: unknown fields refused (prototype keys stripped), no implicit conversion
 * (the string "false" never becomes true), errors as problem+json field lists.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    forbidUnknownValues: true,
    exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
  });
}
