/** Every slot method takes one options object that can carry an abort signal. */
export interface CallOptions {
  /** Aborts the call; implementations stop work and reject (or resolve early) promptly. */
  abortSignal?: AbortSignal;
}

/** A value or a promise of it: lets pure implementations stay synchronous. */
export type MaybePromise<Value> = Value | Promise<Value>;

/** Token counts, always cumulative over the span they describe (never a per-message snapshot). */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache. */
  cacheReadTokens: number;
  /** Input tokens written to the provider's prompt cache. */
  cacheWriteTokens: number;
}

/** Zero usage, the starting point for sums. */
export function emptyTokenUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** Adds two usages field by field. */
export function addTokenUsage(left: TokenUsage, right: TokenUsage): TokenUsage {
  return {
    inputTokens: left.inputTokens + right.inputTokens,
    outputTokens: left.outputTokens + right.outputTokens,
    cacheReadTokens: left.cacheReadTokens + right.cacheReadTokens,
    cacheWriteTokens: left.cacheWriteTokens + right.cacheWriteTokens,
  };
}

/** Total tokens of a usage (input, output and both cache kinds). */
export function totalTokens(usage: TokenUsage): number {
  return usage.inputTokens + usage.outputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
}
