import { redactSecrets, redactValue } from '../secrets/redact-secrets.js';

/**
 * A marker shared through the global symbol registry, so `LoompaError.isInstance` works
 * even when two copies of `@loompa/core` are installed (where `instanceof` fails).
 */
const loompaErrorMarker = Symbol.for('@loompa/core.error');

export interface LoompaErrorOptions {
  /** Structured facts about the failure; secrets are redacted before they are stored. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** The base of every error Loompa throws. `code` is stable; messages may improve. */
export class LoompaError extends Error {
  readonly [loompaErrorMarker] = true;
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: LoompaErrorOptions = {}) {
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
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
