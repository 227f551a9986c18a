import { PipeTransform } from '@nestjs/common';
import { RequestValidationError } from './request-validation.error';
import { ACCOUNT_ID_PATTERN } from './validators';

/**
 * A path id (`@Param(field, new IdParamPipe(field))`): plain id characters only, so none can steer
 * a StackOne URL or a store key; anything else is a 400 naming the parameter.
 */
export class IdParamPipe implements PipeTransform<string, string> {
  constructor(private readonly field: string) {}

  transform(value: string): string {
    if (!ACCOUNT_ID_PATTERN.test(value)) {
      throw new RequestValidationError([{ field: this.field, message: `${this.field} must be 1-64 letters, digits, _ or -` }]);
    }
    return value;
  }
}
