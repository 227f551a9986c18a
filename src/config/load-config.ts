import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';

/*
 * The loading mechanism, and nothing about any feature: each feature declares its own Settings
 * beside its code (e.g. src/stackone/stackone.config.ts), src/app.config.ts lists them, and
 * loadSettings validates all of them in one pass before the module graph exists.
 */

export type RawEnv = Record<string, string | undefined>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * One feature's settings: the class of the environment variables it reads (each a property
 * decorated with its rules from env.decorators.ts, initialised with its default), the rules about
 * several of them at once, and the typed namespace built from the validated values.
 */
export interface Settings<Env extends object, Config> {
  readonly variables: new () => Env;
  /** Problems no single variable shows (e.g. two that exclude each other), one line each, naming the variables. */
  crossChecks?(env: Env): string[];
  /** The namespace read through ConfigService; only called once every feature's variables are valid. */
  build(env: Env): Config;
}

/** Namespace → that feature's settings. Its order is the order in which problems are listed. */
export type SettingsList = Record<string, Settings<object, unknown>>;
export type ConfigOf<S extends SettingsList> = { [K in keyof S]: S[K] extends Settings<object, infer C> ? C : never };
export type VariablesOf<S extends SettingsList> = { [K in keyof S]: S[K] extends Settings<infer E, unknown> ? E : never };

/** The variables of these settings (from their classes' own metadata), for docs and tests. */
export function variableNames(settings: SettingsList): string[] {
  const names = Object.values(settings).flatMap((s) =>
    getMetadataStorage()
      .getTargetValidationMetadatas(s.variables, '', false, false)
      .map((m) => m.propertyName),
  );
  return [...new Set(names)];
}

/**
 * Parses and validates every feature's variables in one pass; throws a ConfigError with one line per
 * problem of any feature, naming the variable and never echoing its value. Empty values count as unset.
 */
export function validateVariables<S extends SettingsList>(settings: S, raw: RawEnv): VariablesOf<S> {
  const given = Object.entries(raw).filter(([, v]) => v !== undefined && v !== '');
  const parsed: Record<string, object> = {};
  const problems: string[] = [];
  for (const [namespace, feature] of Object.entries(settings)) {
    const own = new Set(variableNames({ [namespace]: feature }));
    const env = plainToInstance(feature.variables, Object.fromEntries(given.filter(([k]) => own.has(k))));
    problems.push(...validateSync(env).flatMap((e) => problemLines(e, e.property)));
    parsed[namespace] = env;
  }
  for (const [namespace, feature] of Object.entries(settings)) problems.push(...(feature.crossChecks?.(parsed[namespace]) ?? []));
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return parsed as VariablesOf<S>;
}

/** Validates (see validateVariables) and builds every feature's namespace. */
export function loadSettings<S extends SettingsList>(settings: S, raw: RawEnv): ConfigOf<S> {
  const env: Record<string, object> = validateVariables(settings, raw);
  return Object.fromEntries(Object.entries(settings).map(([namespace, feature]) => [namespace, feature.build(env[namespace])])) as ConfigOf<S>;
}

/** `AUTH_API_KEYS[0].tenantId: must be …` — a nested entry is named by its index and field. */
function problemLines(error: ValidationError, path: string): string[] {
  const constraints = Object.entries(error.constraints ?? {});
  // A list's own rule already says what is wrong when it is not a list at all.
  const own = constraints.length > 1 ? constraints.filter(([type]) => type !== 'nestedValidation') : constraints;
  const lines = own.length > 0 ? [`${path}: ${own.map(([, message]) => message).join('; ')}`] : [];
  for (const child of error.children ?? []) {
    lines.push(...problemLines(child, /^\d+$/.test(child.property) ? `${path}[${child.property}]` : `${path}.${child.property}`));
  }
  return lines;
}

/** The process environment, plus a `.env` file in the working directory when one exists. */
export function readEnvironment(): RawEnv {
  try {
    process.loadEnvFile('.env');
  } catch {
    // No .env file: the environment alone is the configuration.
  }
  return { ...process.env };
}
