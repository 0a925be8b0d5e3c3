import type { z } from 'zod';
import type { WorkflowProblem } from '../errors/error-classes.js';
import { isSecretKeyName, redactedPlaceholder } from '../secrets/redact-secrets.js';
import type { MissingVariable } from './environment-values.js';
import { formatYamlPath, type LocatedYaml, locateYamlPath } from './yaml-locations.js';

/** Renders a found value the way the user wrote it, shortened. */
export function describeFoundValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${value.length} items)`;
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(data: unknown, yamlPath: ReadonlyArray<PropertyKey>): unknown {
  let current = data;
  for (const segment of yamlPath) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment as string];
  }
  return current;
}

const typeNames: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  int: 'a whole number',
};

/** zod's own English messages; anything else was written by a schema author for users. */
const zodDefaultMessagePattern = /^(Invalid|Too (small|big)|Unrecognized)\b/;

function describeExpected(issue: z.core.$ZodIssue): string {
  if (!zodDefaultMessagePattern.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return typeNames[issue.expected] ?? issue.expected;
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'number') return `a number ${issue.inclusive ? '>=' : '>'} ${minimum}`;
      if (issue.origin === 'string')
        return minimum === 1 ? 'a non-empty string' : `at least ${minimum} characters`;
      return `at least ${minimum} items`;
    }
    case 'too_big':
      return issue.origin === 'number'
        ? `a number ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`
        : issue.origin === 'string'
          ? `at most ${String(issue.maximum)} characters`
          : `at most ${String(issue.maximum)} items`;
    case 'invalid_value':
      return `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex'
        ? `a string matching ${(issue as { pattern?: string }).pattern ?? 'the expected pattern'}`
        : `a valid ${issue.format}`;
    default:
      return issue.message;
  }
}

/** Turns a zod issue about the front matter into a located, readable problem. */
export function describeValidationIssue(
  issue: z.core.$ZodIssue,
  data: unknown,
  located: LocatedYaml | null,
  missingVariables: readonly MissingVariable[],
  basePath: ReadonlyArray<PropertyKey> = [],
): WorkflowProblem {
  const yamlPath = [...basePath, ...issue.path];
  const position = located ? locateYamlPath(located, yamlPath) : null;
  const found = valueAt(data, yamlPath);
  const pathText = formatYamlPath(yamlPath);
  const missingVariable = missingVariables.find((entry) => formatYamlPath(entry.yamlPath) === pathText);
  const expected = describeExpected(issue);
  const key = yamlPath[yamlPath.length - 1];
  // A mistyped token is still a token: say what kind of value it was, never the value.
  const secretFound = typeof key === 'string' && isSecretKeyName(key) && typeof found === 'string';
  let foundText = secretFound ? `a string (${redactedPlaceholder})` : describeFoundValue(found);
  let message =
    issue.code === 'custom'
      ? `${issue.message}, found ${foundText}`
      : `expected ${expected}, found ${foundText}`;
  if (found === undefined && missingVariable) {
    foundText = `$${missingVariable.variable} (empty or not set)`;
    message = `expected ${expected}, but environment variable ${missingVariable.variable} is empty or not set`;
  } else if (found === undefined) {
    message = `required: expected ${expected}`;
  }
  return {
    yamlPath: pathText,
    line: position?.line ?? null,
    column: position?.column ?? null,
    expected,
    found: foundText,
    message,
  };
}
