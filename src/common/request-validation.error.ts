import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError } from './problem';
import { ProblemException } from './problem.exception';

/** Thrown by the global ValidationPipe: a 400 problem whose `errors[]` names each field. */
export class RequestValidationError extends ProblemException {
  declare readonly errors: FieldError[];

  constructor(errors: FieldError[], detail = 'The request is invalid; see errors[] for each field.') {
    super({ status: 400, slug: 'validation', title: 'Request validation failed', detail, errors });
  }

  static fromValidationErrors(errors: ValidationError[]): RequestValidationError {
    const fields = flatten(errors, '');
    const owner = [OWNER_FROM_CREDENTIALS, OWNER_NOT_IN_QUERY].find((m) => fields.some((f) => f.message === m));
    return new RequestValidationError(fields, owner ?? 'The request is invalid; see errors[] for each field.');
  }
}

export const OWNER_FROM_CREDENTIALS =
  'The owner (origin_owner_id / origin_owner_name) comes from your credentials and must not be sent in the body.';
export const OWNER_NOT_IN_QUERY =
  'The owner (origin_owner_id / origin_owner_name) comes from your credentials and must not be sent in the query string.';

/** Every spelling of the owner a caller might try; each is refused wherever it appears. */
export const OWNER_FIELDS = ['originOwnerId', 'originOwnerName', 'originOwnerIds', 'origin_owner_id', 'origin_owner_name', 'origin_owner_ids'] as const;

/**
 * One message per field: the most basic failure of each, so `"1800"` for an integer in 60..2592000
 * reads "must be an integer", not also both bounds (they follow from it). Children (nested objects,
 * array items) are fields of their own and keep their own one message.
 */
function flatten(errors: ValidationError[], prefix: string): FieldError[] {
  const out: FieldError[] = [];
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const message = mostBasic(error.constraints);
    if (message !== undefined) out.push({ field, message });
    if (error.children?.length) out.push(...flatten(error.children, field));
  }
  return out;
}

/**
 * Constraint names by how basic a failure they report: presence (sent at all / must not be sent)
 * before type, type before range and format. Anything not listed is a range or format check.
 */
const PRESENCE = new Set(['whitelistValidation', 'unknownValue', 'isAbsent', 'isDefined', 'isNotEmptyObject']);
const TYPE = new Set([
  'isArray', 'isBoolean', 'isDate', 'isEnum', 'isIn', 'isInt', 'isNumber', 'isNumberString', 'isObject', 'isString', 'nestedValidation', 'isFlatMetadata',
]);
const rank = (name: string): number => (PRESENCE.has(name) ? 0 : TYPE.has(name) ? 1 : 2);

/**
 * The message of the most basic failed constraint. class-validator lists a property's constraints
 * bottom-up (the decorator written last first), so among equals the last listed is the one written
 * first in the DTO.
 */
function mostBasic(constraints: Record<string, string> | undefined): string | undefined {
  let best: { rank: number; message: string } | undefined;
  for (const [name, message] of Object.entries(constraints ?? {})) {
    const r = rank(name);
    if (!best || r <= best.rank) best = { rank: r, message };
  }
  return best?.message;
}

/** Keys Nest's ValidationPipe deletes against prototype pollution; we refuse them instead. */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'] as const;
const PROTO_KEYS_MESSAGE = 'keys named __proto__, constructor or prototype are not accepted anywhere in a request';
const protoKeyMessage = (field: string): string => `${field} is a reserved key name (__proto__, constructor and prototype are refused)`;

/** Where `value` carries a prototype key (or, given `keys`, one of those), as field paths (`metadata.constructor`). */
export function protoKeyPaths(value: unknown, keys: readonly string[] = PROTO_KEYS): string[] {
  const found: string[] = [];
  const stack: { node: unknown; path: string }[] = [{ node: value, path: '' }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { node, path } = stack.pop() as { node: unknown; path: string };
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    for (const key of Object.keys(node)) {
      const at = path ? `${path}.${key}` : key;
      if (keys.includes(key)) found.push(at);
      else stack.push({ node: (node as Record<string, unknown>)[key], path: at });
    }
  }
  return found;
}

/** The 400 naming each reserved key found (paths from protoKeyPaths). */
export function reservedKeysError(paths: string[]): RequestValidationError {
  return new RequestValidationError(
    paths.map((field) => ({ field, message: protoKeyMessage(field) })),
    `The request uses reserved key names (${paths.join(', ')}): ${PROTO_KEYS_MESSAGE}.`,
  );
}

/**
 * Nest's pipe deletes `__proto__` / `constructor` / `prototype` keys before validation, so a
 * metadata key named `constructor` would vanish and StackOne receive less than was sent. Such a
 * request is refused with 400 instead; nothing is ever dropped silently.
 */
class RequestValidationPipe extends ValidationPipe {
  protected override stripProtoKeys(value: unknown): void {
    const paths = protoKeyPaths(value);
    if (paths.length > 0) throw reservedKeysError(paths);
    super.stripProtoKeys(value);
  }
}

/**
 * The one ValidationPipe: unknown fields refused (prototype keys refused), no implicit conversion
 * (the string "false" never becomes true), errors as problem+json field lists.
 */
export function createValidationPipe(): ValidationPipe {
  return new RequestValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    forbidUnknownValues: true,
    exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
  });
}
