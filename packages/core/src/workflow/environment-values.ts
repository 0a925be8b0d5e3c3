import os from 'node:os';
import path from 'node:path';
import { registerSecret } from '../secrets/redact-secrets.js';

const wholeVariablePattern = /^\$([A-Za-z_][A-Za-z0-9_]*)$/;
const secretKeyPattern = /(token|secret|password|api[_-]?key|private[_-]?key)/i;

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
    if (!match) return value;
    const variable = match[1]!;
    const resolved = environment[variable];
    if (resolved === undefined || resolved === '') {
      missing.push({ yamlPath, variable });
      return undefined;
    }
    const key = yamlPath[yamlPath.length - 1];
    if (typeof key === 'string' && secretKeyPattern.test(key)) registerSecret(resolved);
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
 * Exported so plugins treat their own path settings the same way.
 */
export function expandPathSetting(
  value: string,
  baseDirectory: string,
  environment: NodeJS.ProcessEnv = process.env,
): string {
  let expanded = value.replace(/^~(?=$|[/\\])/, os.homedir());
  expanded = expanded.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_whole, braced: string | undefined, bare: string | undefined) => environment[(braced ?? bare)!] ?? '',
  );
  return path.resolve(baseDirectory, expanded);
}
