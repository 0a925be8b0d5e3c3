import { z } from 'zod';
import { normalizeName } from '../specifications/issue.js';

/**
 * Small zod building blocks shared by the core workflow schema and plugin schemas, so
 * every section accepts the same spellings (numbers written as strings after `$NAME`
 * indirection, lists written as comma-separated strings) and reports the same way.
 */

function numberFromString(value: unknown): unknown {
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return value;
}

/** How a whole number ≥ `minimum` is described to a user, whichever check failed. */
function describeIntegerSetting(minimum: number): string {
  if (minimum === 1) return 'a positive whole number';
  if (minimum === 0) return 'a whole number of 0 or more';
  return `a whole number >= ${minimum}`;
}

/**
 * A whole number ≥ `minimum`; numeric strings (from environment variables) are accepted.
 * Every failure (wrong type, fraction, too small) says the same thing, so an error reads
 * "expected a positive whole number, found -5" rather than zod's generic wording.
 */
export function integerSetting(minimum: number) {
  const expected = describeIntegerSetting(minimum);
  return z.preprocess(
    numberFromString,
    z.number({ error: expected }).int({ error: expected }).min(minimum, { error: expected }),
  );
}

/** A whole number ≥ 1. */
export const positiveInteger = integerSetting(1);

/** A whole number ≥ 0. */
export const nonNegativeInteger = integerSetting(0);

/** A number ≥ 0 (money, fractions). */
export const nonNegativeNumber = z.preprocess(numberFromString, z.number().min(0));

function listFromString(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  return value;
}

/** A list of strings, also written as `"a, b"`. */
export const stringList = z.preprocess(listFromString, z.array(z.string()));

/** A list of names compared trimmed and case-insensitively (states, labels). */
export const nameList = z.preprocess(listFromString, z.array(z.string().transform(normalizeName)));

/** An optional string: absent or null both mean "not set". */
export const optionalString = z.string().nullable().default(null);

/** Accepts YAML booleans and the strings true/false (from environment variables). */
export const booleanSetting = z.preprocess((value) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}, z.boolean());
