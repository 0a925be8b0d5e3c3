import {
  type AgentProcessOutcome,
  type AgentRunError,
  type AgentRunResult,
  contextOverflowError,
  mentionsContextOverflow,
  processFailureMessage,
  processStopFailure,
  rateLimitError,
  redactSecrets,
} from '@loompa/core';
import type { CodexStreamParser } from './codex-stream-parser.js';

/** `unexpected status 401 Unauthorized: <body>, url: …` is how Codex reports an HTTP error. */
const httpStatusPattern = /\b(?:unexpected status|last status:?)\s+(\d{3})\b/i;
/** Codex hides a 500 behind this sentence (the server's status and body are not shown). */
const highDemandPattern = /experiencing high demand/i;
const missingKeyPattern = /missing environment variable/i;
const usageLimitPattern = /usage limit|quota/i;

/** Classifies the error Codex reported (`turn.failed` or a top-level `error`). */
export function classifyCodexError(rawMessage: string): AgentRunError {
  const message = redactSecrets(rawMessage);
  const status = Number(httpStatusPattern.exec(message)?.[1] ?? Number.NaN);
  if (status === 401 || status === 403) {
    return {
      kind: 'auth',
      message: `The model provider rejected the credentials (HTTP ${status}): ${message}. Check the provider's key (codex.provider.env_key, or OPENAI_API_KEY) in the agent environment.`,
    };
  }
  if (missingKeyPattern.test(message)) {
    return {
      kind: 'auth',
      message: `Codex has no API key: ${message} Add it to the agent environment.`,
    };
  }
  // Codex honours retry-after inside its own retries but does not report the delay.
  if (status === 429 || usageLimitPattern.test(message)) return rateLimitError(message, null);
  if (mentionsContextOverflow(message)) return contextOverflowError(message);
  if (highDemandPattern.test(message)) {
    return {
      kind: 'unknown',
      message: `The model provider failed with HTTP 500 (Codex hides its body): ${message}`,
    };
  }
  const statusText = Number.isNaN(status) ? '' : ` (HTTP ${status})`;
  return { kind: 'unknown', message: `Codex reported an error${statusText}: ${message}` };
}

export interface CodexRunContext {
  idleTimeoutMs?: number;
  runTimeoutMs?: number;
  maxTurns?: number;
}

/** Builds the run result from what the stream said and how the process ended. */
export function buildCodexRunResult(
  parser: CodexStreamParser,
  outcome: AgentProcessOutcome,
  context: CodexRunContext,
): AgentRunResult {
  const state = parser.state;
  const base = {
    sessionId: state.threadId,
    usage: parser.runUsage(),
    costUsd: parser.runCostUsd(),
    turns: state.modelAnswers,
    finalText: state.lastText,
  };
  const stopFailure = processStopFailure('Codex', outcome, context);
  if (stopFailure !== null) return { ...base, ...stopFailure };
  if (outcome.stop === 'stopped') {
    return {
      ...base,
      status: 'failed',
      error: {
        kind: 'max-turns',
        message: `Codex reached the turn limit (${context.maxTurns}) while it still wanted to call tools; raise limits.maxTurns or split the work.`,
      },
    };
  }
  const failure = state.turnFailure ?? (state.turnCompleted ? null : (state.streamErrors.at(-1) ?? null));
  if (failure !== null) return { ...base, status: 'failed', error: classifyCodexError(failure) };
  if (!state.turnCompleted || outcome.exitCode !== 0 || outcome.startError !== null) {
    const detail = state.turnCompleted ? '' : ' without finishing its turn';
    return {
      ...base,
      status: 'failed',
      error: { kind: 'process', message: processFailureMessage('Codex', outcome, detail) },
    };
  }
  return { ...base, status: 'completed' };
}
