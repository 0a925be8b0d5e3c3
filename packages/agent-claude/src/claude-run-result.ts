import {
  type AgentProcessOutcome,
  type AgentRunError,
  type AgentRunResult,
  contextOverflowError,
  emptyTokenUsage,
  mentionsContextOverflow,
  processFailureMessage,
  processStopFailure,
  rateLimitError,
  redactSecrets,
  type TokenUsage,
} from '@loompa/core';
import type { ClaudeResultMessage, ClaudeStreamState } from './claude-stream-parser.js';

/** Classifies a result line that reports an error (Claude Code says `subtype: "success"` for API errors). */
function classifyResultError(result: ClaudeResultMessage, state: ClaudeStreamState): AgentRunError {
  const text = redactSecrets(result.text ?? result.errors.join('; ') ?? '');
  if (result.subtype === 'error_max_turns' || result.terminalReason === 'max_turns') {
    return {
      kind: 'max-turns',
      message: `Claude Code stopped at its turn limit after ${result.turns} turns; raise limits.maxTurns or split the work.`,
    };
  }
  if (result.apiErrorStatus === 401 || result.apiErrorStatus === 403) {
    return {
      kind: 'auth',
      message: `The model provider rejected the credentials (HTTP ${result.apiErrorStatus}): ${text}. Check ANTHROPIC_API_KEY (or the provider's key) in the agent environment.`,
    };
  }
  if (result.apiErrorStatus === 429) return rateLimitError(text, state.lastRateLimitDelayMs);
  if (result.terminalReason === 'prompt_too_long' || mentionsContextOverflow(text)) {
    return contextOverflowError(text);
  }
  if (result.subtype === 'error_during_execution') {
    return {
      kind: 'process',
      message: `Claude Code failed during execution: ${text || 'no details given'} (a --resume of an unknown session ends this way).`,
    };
  }
  const status = result.apiErrorStatus === null ? '' : ` (HTTP ${result.apiErrorStatus})`;
  return { kind: 'unknown', message: `Claude Code reported an error${status}: ${text || result.subtype}` };
}

/** Builds the run result from what the stream said and how the process ended. */
export function buildClaudeRunResult(
  state: ClaudeStreamState,
  outcome: AgentProcessOutcome,
  limits: { idleTimeoutMs?: number; runTimeoutMs?: number },
): AgentRunResult {
  const result = state.result;
  const usage: TokenUsage = result?.usage ?? emptyTokenUsage();
  const base = {
    sessionId: state.sessionId,
    usage,
    costUsd: result?.costUsd ?? null,
    turns: result?.turns ?? state.assistantMessages,
    finalText: result && !result.isError && result.text !== null ? result.text : state.lastText,
  };
  const stopFailure = processStopFailure('Claude Code', outcome, limits);
  if (stopFailure !== null) return { ...base, ...stopFailure };
  if (outcome.stop === 'stopped') {
    return {
      ...base,
      status: 'failed',
      error: { kind: 'unknown', message: 'The backend stopped Claude Code.' },
    };
  }
  if (result === null) {
    return {
      ...base,
      status: 'failed',
      error: { kind: 'process', message: processFailureMessage('Claude Code', outcome, ' without a result') },
    };
  }
  if (result.subtype === 'success' && !result.isError) return { ...base, status: 'completed' };
  return { ...base, status: 'failed', error: classifyResultError(result, state) };
}
