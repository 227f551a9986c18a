import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../common/request-validation.error';
import { ACCOUNT_ID_PATTERN } from '../common/validators';

/** Account ids go into StackOne URLs: only plain id characters get that far. */
@Injectable()
export class AccountIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ACCOUNT_ID_PATTERN.test(value)) {
      throw new RequestValidationError([{ field: 'id', message: 'id must be 1-64 letters, digits, _ or -' }]);
    }
    return value;
  }
}
