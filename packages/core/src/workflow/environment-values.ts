import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError } from '../errors/error-classes.js';
import { isSecretKeyName, registerSecret } from '../secrets/redact-secrets.js';

const wholeVariablePattern = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const embeddedVariablePattern = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/**
 * Registers the value of a secret-named setting (`token`, `api_key`, …) for redaction,
 * whether it came from the environment or was written into the file. Plain numbers and
 * booleans are skipped: `max_tokens: 4000` is no secret, and redacting every "4000" in the
 * logs would hide more than it protects.
 */
function registerIfSecret(yamlPath: ReadonlyArray<string | number>, value: string): void {
  const key = yamlPath[yamlPath.length - 1];
  if (typeof key !== 'string' || !isSecretKeyName(key)) return;
  if (/^\s*(-?\d+(\.\d+)?|true|false)\s*$/i.test(value)) return;
  registerSecret(value);
}

/** A `$NAME` value whose variable was empty or unset, remembered to explain a later "required" error. */
export interface MissingVariable {
  yamlPath: Array<string | number>;
  variable: string;
}

/**
 * Replaces every string value written exactly `$NAME` with that environment variable.
 * An empty or unset variable removes the key, so the setting counts as missing (its default
 * applies, or a required error names the variable). Values read into secret-named keys are
 * registered for redaction.
 */
export function resolveEnvironmentReferences(
  value: unknown,
  environment: NodeJS.ProcessEnv,
  missing: MissingVariable[],
  yamlPath: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') {
    const match = wholeVariablePattern.exec(value);
    if (!match) {
      registerIfSecret(yamlPath, value);
      return value;
    }
    const variable = match[1]!;
    const resolved = environment[variable];
    if (resolved === undefined || resolved === '') {
      missing.push({ yamlPath, variable });
      return undefined;
    }
    registerIfSecret(yamlPath, resolved);
    return resolved;
  }
  if (Array.isArray(value)) {
    return value.map((item, index) =>
      resolveEnvironmentReferences(item, environment, missing, [...yamlPath, index]),
    );
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const resolved: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const next = resolveEnvironmentReferences(item, environment, missing, [...yamlPath, key]);
      if (next !== undefined) resolved[key] = next;
    }
    return resolved;
  }
  return value;
}

/**
 * Expands a path setting: a leading `~` becomes the home directory, `$NAME` and `${NAME}`
 * become environment variables, and a relative result resolves against `baseDirectory`.
 * A variable that is empty or unset is an `InvalidArgumentError` naming it (its `details`
 * carry `variable`): silently dropping it would turn `$DATA/trees` into `/trees`.
 * Exported so plugins treat their own path settings the same way.
 */
export function expandPathSetting(
  value: string,
  baseDirectory: string,
  environment: NodeJS.ProcessEnv = process.env,
): string {
  let expanded = value.replace(/^~(?=$|[/\\])/, os.homedir());
  expanded = expanded.replace(
    embeddedVariablePattern,
    (_whole, braced: string | undefined, bare: string | undefined) => {
      const variable = (braced ?? bare)!;
      const resolved = environment[variable];
      if (resolved === undefined || resolved === '') {
        throw new InvalidArgumentError(
          `path ${JSON.stringify(value)} uses environment variable ${variable}, which is empty or not set`,
          { details: { path: value, variable } },
        );
      }
      return resolved;
    },
  );
  return path.resolve(baseDirectory, expanded);
}
