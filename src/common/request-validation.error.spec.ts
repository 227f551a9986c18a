import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateNested } from 'class-validator';
import { CreateConnectSessionDto } from '../connect-sessions/dto/create-connect-session.dto';
import { createValidationPipe, RequestValidationError } from './request-validation.error';

class Item {
  @IsInt()
  @Min(1)
  @Max(10)
  qty!: number;
}

class Order {
  @IsOptional()
  @IsString()
  @Length(3, 8)
  @Matches(/^[a-z]+$/)
  code?: string;

  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => Item)
  items?: Item[];
}

async function fieldErrors(metatype: new () => object, body: unknown): Promise<RequestValidationError['errors']> {
  try {
    await createValidationPipe().transform(body, { type: 'body', metatype });
  } catch (err) {
    expect(err).toBeInstanceOf(RequestValidationError);
    return (err as RequestValidationError).errors;
  }
  throw new Error('expected a RequestValidationError');
}

describe('RequestValidationError: one message per field', () => {
  it('says only that a string expiresIn must be an integer, not also both bounds', async () => {
    expect(await fieldErrors(CreateConnectSessionDto, { expiresIn: '1800' })).toEqual([{ field: 'expiresIn', message: 'expiresIn must be an integer number' }]);
  });

  it('gives the range once the type is right', async () => {
    expect(await fieldErrors(CreateConnectSessionDto, { expiresIn: 10 })).toEqual([{ field: 'expiresIn', message: 'expiresIn must not be less than 60' }]);
  });

  it('gives three fields three messages, each the most basic problem', async () => {
    const errors = await fieldErrors(CreateConnectSessionDto, { expiresIn: '1800', label: 5, categories: 'hris' });
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        { field: 'expiresIn', message: 'expiresIn must be an integer number' },
        { field: 'label', message: 'label must be a string' },
        { field: 'categories', message: 'categories must be an array' },
      ]),
    );
  });

  it('puts a field that must not be sent before anything else about it', async () => {
    expect(await fieldErrors(CreateConnectSessionDto, { provider: 'hibob', foo: 1 })).toEqual([{ field: 'foo', message: 'property foo should not exist' }]);
  });

  it('among checks of the same kind, reports the one written first in the class', async () => {
    expect(await fieldErrors(Order, { code: 'AB' })).toEqual([{ field: 'code', message: 'code must be longer than or equal to 3 characters' }]);
  });

  it('applies to nested fields: one message per array item', async () => {
    const errors = await fieldErrors(Order, { items: [{ qty: 'x' }, { qty: 0 }, { qty: 5 }] });
    expect(errors).toEqual([
      { field: 'items.0.qty', message: 'qty must be an integer number' },
      { field: 'items.1.qty', message: 'qty must not be less than 1' },
    ]);
  });
});
