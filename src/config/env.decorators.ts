import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsUrl, ValidateBy, ValidationArguments } from 'class-validator';

/*
 * Decorators for environment variables: each parses the raw string once (class-transformer) and
 * states the rule the parsed value must meet (class-validator). Messages leave out the variable's
 * name (the error formatter puts it in front) and never echo a value that could be a secret.
 */

const inOrder =
  (...decorators: PropertyDecorator[]): PropertyDecorator =>
  (target, key) => {
    for (const decorate of decorators) decorate(target, key);
  };

/** A whole number of at least `min`. Digits only: a sign, exponent, fraction or space is refused, not guessed at. */
export function EnvInt(min: number): PropertyDecorator {
  return inOrder(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN)),
    EnvRule('envInt', (value) => {
      if (!Number.isInteger(value)) return 'must be a whole number (digits only)';
      return (value as number) < min ? `must be at least ${min}` : undefined;
    }),
  );
}

/** `true`/`1` or `false`/`0`. */
export function EnvBoolean(): PropertyDecorator {
  const words: Record<string, boolean> = { true: true, '1': true, false: false, '0': false };
  return inOrder(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && value in words ? words[value] : value)),
    IsBoolean({ message: 'must be true or false' }),
  );
}

/** A comma-separated list; blanks around and between items are dropped. */
export const toList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** A comma list whose every item passes `isItem`; the message names each item that does not (items are never secrets). */
export function EnvList(isItem: (item: string) => boolean, describe: (bad: string) => string): PropertyDecorator {
  return inOrder(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? toList(value) : value)),
    EnvRule('envList', (value) => {
      const bad = (value as string[]).filter((item) => !isItem(item));
      return bad.length > 0 ? bad.map(describe).join('; ') : undefined;
    }),
  );
}

export function EnvOneOf(values: readonly string[]): PropertyDecorator {
  return IsIn(values, { message: `must be one of ${values.join(', ')}` });
}

export function EnvUrl(protocols: string[]): PropertyDecorator {
  return IsUrl({ require_tld: false, protocols, require_protocol: true }, { message: `must be a URL (${protocols.join(' or ')})` });
}

/** A rule whose message depends on the value: `problem` returns the message, or undefined when the value is fine. */
export function EnvRule(name: string, problem: (value: unknown, env: object) => string | undefined): PropertyDecorator {
  return ValidateBy({
    name,
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => problem(value, args?.object ?? {}) === undefined,
      defaultMessage: (args?: ValidationArguments) => problem(args?.value, args?.object ?? {}) ?? '',
    },
  });
}
