import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../common/request-validation.error';

/** StackOne's session ids are numbers; plain id characters are accepted, anything else is refused before the store is asked. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

@Injectable()
export class SessionIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SESSION_ID_PATTERN.test(value)) {
      throw new RequestValidationError([{ field: 'sessionId', message: 'sessionId must be 1-64 letters, digits, _ or -' }]);
    }
    return value;
  }
}
