/**
 * Removes credentials from text before it is stored on an error, logged or emitted.
 * Two layers: values registered at run time (tokens read from the environment or the
 * workflow), and well-known token shapes, so a token that was never registered is still
 * caught when it looks like one.
 */

const registeredSecrets = new Set<string>();
/** Registered values, longest first: a secret that contains another must go before it. */
let registeredByLength: string[] = [];

/** Shortest value worth registering; shorter ones would redact ordinary words. */
const minimumSecretLength = 6;

const tokenPatterns: RegExp[] = [
  // GitHub: personal, OAuth, user-to-server, server-to-server, refresh tokens; fine-grained PATs.
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  // GitLab: personal, deploy, runner, trigger, CI job, feed, incoming-mail, OAuth and agent tokens.
  /\bgl(?:pat|dt|rt|ptt|cbt|ft|imt|oas|soat|agent|ffct|wt)-[A-Za-z0-9_-]{20,}/g,
  // Anthropic API and OAuth keys, then the generic `sk-` shape (OpenAI and compatible).
  /\bsk-ant-[A-Za-z0-9_-]{10,}/g,
  /\bsk-[A-Za-z0-9_-]{20,}/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
];

/** Authorization headers and credentials embedded in URLs keep their shape, not their value. */
const structuredPatterns: Array<[RegExp, string]> = [
  [/\b(authorization["']?\s*[:=]\s*["']?)(bearer|token|basic)\s+[^\s"',;]+/gi, '$1$2 [REDACTED]'],
  [/\b((?:private-token|job-token|x-api-key)["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, '$1[REDACTED]'],
  // `scheme://user:password@host`: the password may itself contain `@`, so take up to the last one.
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s]+@/gi, '$1[REDACTED]@'],
  // `https://token@host`: forges accept a bare token as the user name.
  [/(\bhttps?:\/\/)[^/\s:@[]+@/gi, '$1[REDACTED]@'],
];

export const redactedPlaceholder = '[REDACTED]';

/** Registers a value that must never appear in output (a token from the environment, say). */
export function registerSecret(value: string | null | undefined): void {
  if (!value || value.length < minimumSecretLength || registeredSecrets.has(value)) return;
  registeredSecrets.add(value);
  registeredByLength = [...registeredSecrets].sort((left, right) => right.length - left.length);
}

/** True when `value` was registered as a secret. */
export function isRegisteredSecret(value: string): boolean {
  return registeredSecrets.has(value);
}

/** Replaces every known secret in `text`. */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const secret of registeredByLength) {
    if (redacted.includes(secret)) redacted = redacted.split(secret).join(redactedPlaceholder);
  }
  for (const pattern of tokenPatterns) redacted = redacted.replace(pattern, redactedPlaceholder);
  for (const [pattern, replacement] of structuredPatterns) redacted = redacted.replace(pattern, replacement);
  return redacted;
}

/** Keys whose values are secrets whatever they look like. */
const secretKeyPattern =
  /(token|secret|password|passwd|api[_-]?key|authorization|credential|private[_-]?key)/i;

/** True for a setting or field name that holds a secret (`token`, `github_token`, `apiKey`, …). */
export function isSecretKeyName(key: string): boolean {
  return secretKeyPattern.test(key);
}

/** An error as plain data: name, message and its own fields, all redacted. */
function redactError(error: Error, ancestors: WeakSet<object>): Record<string, unknown> {
  const copy: Record<string, unknown> = { name: error.name, message: redactSecrets(error.message) };
  for (const [key, item] of Object.entries(error)) copy[key] = redactEntry(key, item, ancestors);
  if (error.cause !== undefined) copy.cause = redactValue(error.cause, ancestors);
  return copy;
}

function redactEntry(key: string, item: unknown, ancestors: WeakSet<object>): unknown {
  return isSecretKeyName(key) && typeof item === 'string' && item !== ''
    ? redactedPlaceholder
    : redactValue(item, ancestors);
}

/**
 * Deep copy of a value with secret-named keys blanked and every string redacted. Errors
 * become plain objects (their message is not an own enumerable property, so it would
 * otherwise be lost), and big integers become strings so the result always serializes.
 */
export function redactValue<Value>(value: Value, ancestors = new WeakSet<object>()): Value {
  if (typeof value === 'string') return redactSecrets(value) as Value;
  if (typeof value === 'bigint') return value.toString() as Value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (value instanceof URL) return redactSecrets(value.href) as Value;
  // Only a value that contains itself is circular; the same object reached twice is copied twice.
  if (ancestors.has(value)) return '[Circular]' as Value;
  ancestors.add(value);
  try {
    if (value instanceof Error) return redactError(value, ancestors) as Value;
    if (Array.isArray(value)) return value.map((item) => redactValue(item, ancestors)) as Value;
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = redactEntry(key, item, ancestors);
    return copy as Value;
  } finally {
    ancestors.delete(value);
  }
}
