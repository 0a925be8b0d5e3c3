import {
  isSecretKeyName,
  redactedPlaceholder,
  redactSecrets,
  redactValue,
} from '../secrets/redact-secrets.js';

/**
 * A marker shared through the global symbol registry, so `LoompaError.isInstance` works
 * even when two copies of `@loompa/core` are installed (where `instanceof` fails).
 */
const loompaErrorMarker = Symbol.for('@loompa/core.error');

export interface LoompaErrorOptions {
  /** Structured facts about the failure; secrets are redacted before they are stored. */
  details?: Record<string, unknown>;
  /** The error behind this one; kept (redacted in place, so its identity survives). */
  cause?: unknown;
}

/** How deep a chain of causes is followed when redacting. */
const maximumCauseDepth = 8;

/**
 * Removes secrets from a cause without replacing it: callers compare causes by identity
 * (`error.cause === original`), so an `Error` is redacted in place (message, stack and its
 * own string fields, such as a command's stderr); other values are stored as redacted copies.
 */
function redactCause(cause: unknown, depth = 0): unknown {
  if (!(cause instanceof Error)) return redactValue(cause);
  if (depth >= maximumCauseDepth || LoompaError.isInstance(cause)) return cause;
  const fields = cause as unknown as Record<string, unknown>;
  for (const key of [...Object.keys(cause), 'message', 'stack']) {
    const value = fields[key];
    if (typeof value !== 'string') continue;
    const redacted = isSecretKeyName(key) && value !== '' ? redactedPlaceholder : redactSecrets(value);
    if (redacted === value) continue;
    try {
      fields[key] = redacted;
    } catch {
      // A read-only field cannot hold a secret we were given; nothing more can be done.
    }
  }
  if (cause.cause !== undefined) {
    const redactedCause = redactCause(cause.cause, depth + 1);
    if (redactedCause !== cause.cause) {
      try {
        fields.cause = redactedCause;
      } catch {}
    }
  }
  return cause;
}

/** The base of every error Loompa throws. `code` is stable; messages may improve. */
export class LoompaError extends Error {
  readonly [loompaErrorMarker] = true;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: LoompaErrorOptions = {}) {
    super(
      redactSecrets(message),
      options.cause === undefined ? undefined : { cause: redactCause(options.cause) },
    );
    this.name = new.target.name;
    this.code = code;
    this.details = redactValue(options.details ?? {});
  }

  /** True for any Loompa error, from this copy of the package or another. */
  static isInstance(error: unknown): error is LoompaError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[loompaErrorMarker] === true
    );
  }

  /** True for a Loompa error with this code. */
  static hasCode(error: unknown, code: string): boolean {
    return LoompaError.isInstance(error) && error.code === code;
  }
}

/** The message of anything thrown, redacted. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return redactSecrets(error.message);
  return redactSecrets(String(error));
}
