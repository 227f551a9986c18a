import { BadRequestException } from '@nestjs/common';
import { RequestValidationError } from '../common/request-validation.error';
import { checkJsonBody, MAX_JSON_DEPTH, nestedDeeperThan, NOT_AN_OBJECT, TOO_DEEP } from './json-body';

const nest = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe(nestedDeeperThan.name, () => {
  it('counts objects and arrays, the top level being 1', () => {
    expect(nestedDeeperThan({}, 1)).toBe(false);
    expect(nestedDeeperThan({ a: {} }, 1)).toBe(true);
    expect(nestedDeeperThan({ a: [1, 'x', null, { b: true }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [1, 'x', null, { b: [] }] }, 3)).toBe(true);
    expect(nestedDeeperThan(nest(32), 32)).toBe(false);
    expect(nestedDeeperThan(nest(33), 32)).toBe(true);
  });

  it('walks thousands of levels without recursion', () => {
    expect(nestedDeeperThan(nest(100_000), MAX_JSON_DEPTH)).toBe(true);
  });
});

describe(checkJsonBody.name, () => {
  it('lets no body and plain objects through', () => {
    expect(checkJsonBody(undefined)).toBeUndefined();
    expect(checkJsonBody({ provider: 'hibob', metadata: { a: 1 } })).toBeUndefined();
  });

  it.each([[[]], [[{ provider: 'hibob' }]], ['hibob'], [42], [true], [null]])('refuses %j: not an object', (body) => {
    const refusal = checkJsonBody(body);
    expect(refusal).toBeInstanceOf(BadRequestException);
    expect(refusal?.message).toBe(NOT_AN_OBJECT);
  });

  it('refuses excessive nesting', () => {
    expect(checkJsonBody({ metadata: nest(MAX_JSON_DEPTH) })?.message).toBe(TOO_DEEP);
    expect(checkJsonBody({ metadata: nest(MAX_JSON_DEPTH - 1) })).toBeUndefined();
  });

  it('refuses __proto__ keys at any depth as reserved key names, naming each', () => {
    const refusal = checkJsonBody(JSON.parse('{"provider":"hibob","metadata":{"__proto__":"x"},"__proto__":{"admin":true}}'));
    expect(refusal).toBeInstanceOf(RequestValidationError);
    expect((refusal as RequestValidationError).errors).toEqual(
      expect.arrayContaining([
        { field: 'metadata.__proto__', message: expect.stringMatching(/reserved key name/) },
        { field: '__proto__', message: expect.stringMatching(/reserved key name/) },
      ]),
    );
    expect((refusal as RequestValidationError).errors).toHaveLength(2);
  });
});
