import { IdParamPipe } from './id-param.pipe';
import { RequestValidationError } from './request-validation.error';

describe(IdParamPipe.name, () => {
  it.each(['46132201', 'acc_1-A', 'x'.repeat(64)])('passes the plain id %s through unchanged', (id) => {
    expect(new IdParamPipe('id').transform(id)).toBe(id);
  });

  it.each(['', '../x', '//evil', 'a b', 'x'.repeat(65), 'id%2F'])('refuses %j with a 400 naming its parameter', (id) => {
    for (const field of ['id', 'sessionId']) {
      let thrown: unknown;
      try {
        new IdParamPipe(field).transform(id);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(RequestValidationError);
      expect((thrown as RequestValidationError).errors).toEqual([{ field, message: `${field} must be 1-64 letters, digits, _ or -` }]);
    }
  });
});
