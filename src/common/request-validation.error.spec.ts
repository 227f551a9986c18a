import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsAbsent } from './validators';
import { createValidationPipe, RequestValidationError } from './request-validation.error';

/** Shaped like the connect-session body: type decorators written first, bounds and formats after. */
class SessionLike {
  @IsOptional()
  @IsString()
  @MaxLength(200)
  label?: string;

  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @ArrayMaxSize(2)
  @IsIn(['hris', 'ats'], { each: true })
  categories?: string[];

  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(2_592_000)
  expiresIn?: number;

  @IsAbsent({ message: 'the owner comes from your credentials' })
  originOwnerId?: unknown;
}

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
    expect(await fieldErrors(SessionLike, { expiresIn: '1800' })).toEqual([{ field: 'expiresIn', message: 'expiresIn must be an integer number' }]);
  });

  it('gives the range once the type is right', async () => {
    expect(await fieldErrors(SessionLike, { expiresIn: 10 })).toEqual([{ field: 'expiresIn', message: 'expiresIn must not be less than 60' }]);
  });

  it('gives three fields three messages, each the most basic problem', async () => {
    const errors = await fieldErrors(SessionLike, { expiresIn: '1800', label: 5, categories: 'hris' });
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
    expect(await fieldErrors(SessionLike, { foo: 1 })).toEqual([{ field: 'foo', message: 'property foo should not exist' }]);
    expect(await fieldErrors(SessionLike, { originOwnerId: 5 })).toEqual([{ field: 'originOwnerId', message: 'the owner comes from your credentials' }]);
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
