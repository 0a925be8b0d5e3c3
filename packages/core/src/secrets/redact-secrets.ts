/**
 * Removes credentials from text before it is stored on an error, logged or emitted.
 * Two layers: values registered at run time (tokens read from the environment or the
 * workflow), and well-known token shapes, so a token that was never registered is still
 * caught when it looks like one.
 */

const registeredSecrets = new Set<string>();

/** Shortest value worth registering; shorter ones would redact ordinary words. */
const minimumSecretLength = 6;

const tokenPatterns: RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g,
  /\bsk-ant-[A-Za-z0-9_-]{10,}\b/g,
  /\bsk-[A-Za-z0-9_-]{20,}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
];

/** Authorization headers and credentials embedded in URLs keep their shape, not their value. */
const structuredPatterns: Array<[RegExp, string]> = [
  [/\b(authorization\s*[:=]\s*)(bearer|token|basic)\s+[^\s"',;]+/gi, '$1$2 [REDACTED]'],
  [/\b(private-token\s*[:=]\s*)[^\s"',;]+/gi, '$1[REDACTED]'],
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1[REDACTED]@'],
];

export const redactedPlaceholder = '[REDACTED]';

/** Registers a value that must never appear in output (a token from the environment, say). */
export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= minimumSecretLength) registeredSecrets.add(value);
}

/** Replaces every known secret in `text`. */
export function redactSecrets(text: string): string {
  let redacted = text;
  for (const secret of registeredSecrets) {
    if (redacted.includes(secret)) redacted = redacted.split(secret).join(redactedPlaceholder);
  }
  for (const pattern of tokenPatterns) redacted = redacted.replace(pattern, redactedPlaceholder);
  for (const [pattern, replacement] of structuredPatterns) redacted = redacted.replace(pattern, replacement);
  return redacted;
}

/** Keys whose values are secrets whatever they look like. */
const secretKeyPattern =
  /(token|secret|password|passwd|api[_-]?key|authorization|credential|private[_-]?key)/i;

/** Deep copy of a value with secret-named keys blanked and every string redacted. */
export function redactValue<Value>(value: Value, seen = new WeakSet<object>()): Value {
  if (typeof value === 'string') return redactSecrets(value) as Value;
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]' as Value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen)) as Value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] =
      secretKeyPattern.test(key) && typeof item === 'string' && item !== ''
        ? redactedPlaceholder
        : redactValue(item, seen);
  }
  return copy as Value;
}
