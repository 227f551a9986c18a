import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** Fails whenever the property is present at all — for fields that must come from elsewhere. */
export function IsAbsent(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name: 'isAbsent',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (_value: unknown, args?: ValidationArguments): boolean =>
          !Object.prototype.hasOwnProperty.call(args?.object ?? {}, args?.property ?? ''),
      },
    });
  };
}

/** Only digits become numbers; anything else stays as is and fails @IsInt with a clear message. */
export const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value);

/** StackOne account ids: plain id characters only, so none can steer a URL (`../x`, `//evil`). */
export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const METADATA_LIMITS = { maxKeys: 50, maxKeyLength: 64, maxStringLength: 500, maxBytes: 4096 } as const;
const METADATA_KEY = /^[A-Za-z0-9_.-]+$/;

/**
 * Keeps a metadata object exactly as sent. class-transformer rebuilds a nested object and skips
 * keys named like Object.prototype members (`constructor`, `toString`, …), so StackOne would get
 * `{}`; this copies the raw object's own keys instead, leaving IsFlatMetadata to judge every one.
 */
export function KeepOwnKeys(): PropertyDecorator {
  return Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => ownKeysCopy(obj[key]));
}

function ownKeysCopy(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  // fromEntries defines own data properties, so even a `__proto__` key stays a plain key.
  return Object.fromEntries(Object.entries(raw));
}

/** A flat object of string/number/boolean values, bounded in key count, key length and total size. */
export function IsFlatMetadata(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name: 'isFlatMetadata',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `$property must be a flat object of at most ${METADATA_LIMITS.maxKeys} keys (letters, digits, _ . -; up to ${METADATA_LIMITS.maxKeyLength} characters) with string (up to ${METADATA_LIMITS.maxStringLength} characters), number or boolean values, ${METADATA_LIMITS.maxBytes} bytes in all`,
        ...options,
      },
      validator: {
        validate: (value: unknown): boolean => isFlatMetadata(value),
      },
    });
  };
}

function isFlatMetadata(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return false;
  const entries = Object.entries(value);
  if (entries.length > METADATA_LIMITS.maxKeys) return false;
  for (const [key, v] of entries) {
    if (key.length === 0 || key.length > METADATA_LIMITS.maxKeyLength || !METADATA_KEY.test(key)) return false;
    if (typeof v === 'string') {
      if (v.length > METADATA_LIMITS.maxStringLength) return false;
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
    } else if (typeof v !== 'boolean') {
      return false;
    }
  }
  return Buffer.byteLength(JSON.stringify(value)) <= METADATA_LIMITS.maxBytes;
}
