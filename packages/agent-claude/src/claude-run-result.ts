import {
  type AgentRunError,
  type AgentRunResult,
  emptyTokenUsage,
  redactSecrets,
  type TokenUsage,
} from '@loompa/core';
import type { ClaudeResultMessage, ClaudeStreamState } from './claude-stream-parser.js';
import type { AgentProcessOutcome } from './run-agent-process.js';

const contextOverflowPattern = /prompt is too long|context (window|length)|too many tokens|maximum context/i;

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
  if (result.apiErrorStatus === 429) {
    return {
      kind: 'rate-limit',
      message: `The model provider is rate limiting requests (HTTP 429): ${text}`,
      ...(state.lastRateLimitDelayMs !== null ? { retryAfterMs: state.lastRateLimitDelayMs } : {}),
    };
  }
  if (result.terminalReason === 'prompt_too_long' || contextOverflowPattern.test(text)) {
    return {
      kind: 'context-overflow',
      message: `The conversation no longer fits the model's context: ${text}`,
    };
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

function stoppedError(
  outcome: AgentProcessOutcome,
  limits: { idleTimeoutMs?: number; runTimeoutMs?: number },
): Pick<AgentRunResult, 'status' | 'error'> {
  if (outcome.stop === 'cancelled') {
    return { status: 'cancelled', error: { kind: 'cancelled', message: 'The run was cancelled.' } };
  }
  if (outcome.stop === 'stopped') {
    return { status: 'failed', error: { kind: 'unknown', message: 'The backend stopped Claude Code.' } };
  }
  const message =
    outcome.stop === 'idle-timeout'
      ? `Claude Code produced no output for ${limits.idleTimeoutMs} ms and was stopped.`
      : `Claude Code ran longer than ${limits.runTimeoutMs} ms and was stopped.`;
  return { status: 'timed-out', error: { kind: 'timeout', message } };
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
  if (outcome.stop !== 'exited') return { ...base, ...stoppedError(outcome, limits) };
  if (result === null) {
    const how =
      outcome.startError ??
      (outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`);
    const tail = outcome.stderrTail ? `; stderr: ${redactSecrets(outcome.stderrTail)}` : '';
    return {
      ...base,
      status: 'failed',
      error: { kind: 'process', message: `Claude Code ${how} without a result${tail}` },
    };
  }
  if (result.subtype === 'success' && !result.isError) return { ...base, status: 'completed' };
  return { ...base, status: 'failed', error: classifyResultError(result, state) };
}
