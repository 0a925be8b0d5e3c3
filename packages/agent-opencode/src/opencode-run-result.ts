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
import type { OpenCodeErrorMessage, OpenCodeStreamState } from './opencode-stream-parser.js';

const authenticationPattern = /api key|unauthori[sz]ed|authentication/i;

/** Classifies the error OpenCode printed (its `error` line) so the orchestrator can react. */
export function classifyOpenCodeError(error: OpenCodeErrorMessage): AgentRunError {
  const text = redactSecrets(error.message);
  const status = error.statusCode === null ? '' : ` (HTTP ${error.statusCode})`;
  if (
    error.statusCode === 401 ||
    error.statusCode === 403 ||
    error.name === 'ProviderAuthError' ||
    (error.statusCode === null && authenticationPattern.test(text))
  ) {
    return {
      kind: 'auth',
      message: `The model provider rejected the credentials${status}: ${text}. Check the provider's API key in the agent environment or the opencode provider settings.`,
    };
  }
  if (error.statusCode === 429) return rateLimitError(text, error.retryAfterMs);
  if (error.name === 'ContextOverflowError' || mentionsContextOverflow(text)) {
    return contextOverflowError(text);
  }
  return { kind: 'unknown', message: `OpenCode reported ${error.name}${status}: ${text}` };
}

export interface OpenCodeRunContext {
  idleTimeoutMs?: number;
  runTimeoutMs?: number;
  maxTurns?: number;
}

/** Builds the run result from what the stream said and how the process ended. */
export function buildOpenCodeRunResult(
  state: OpenCodeStreamState,
  outcome: AgentProcessOutcome,
  context: OpenCodeRunContext,
): AgentRunResult {
  const base = {
    sessionId: state.sessionId,
    usage: { ...state.usage },
    costUsd: state.steps > 0 ? state.costUsd : null,
    turns: state.steps,
    finalText: state.lastText,
  };
  const stopFailure = processStopFailure('OpenCode', outcome, context);
  if (stopFailure !== null) return { ...base, ...stopFailure };
  if (outcome.stop === 'stopped') {
    return {
      ...base,
      status: 'failed',
      error: {
        kind: 'max-turns',
        message: `OpenCode reached the turn limit (${context.maxTurns}) while it still wanted to call tools; raise limits.maxTurns or split the work.`,
      },
    };
  }
  const lastError = state.errors.at(-1);
  if (lastError) return { ...base, status: 'failed', error: classifyOpenCodeError(lastError) };
  if (outcome.exitCode !== 0 || outcome.startError !== null) {
    return {
      ...base,
      status: 'failed',
      error: { kind: 'process', message: processFailureMessage('OpenCode', outcome) },
    };
  }
  if (state.steps === 0) {
    return {
      ...base,
      status: 'failed',
      error: { kind: 'process', message: 'OpenCode exited without taking a single model turn.' },
    };
  }
  if (state.lastStepReason === 'tool-calls') {
    // `opencode run` auto-rejects a permission it would have asked a person for, and stops.
    return {
      ...base,
      status: 'failed',
      error: {
        kind: 'input-required',
        message:
          'OpenCode stopped after a tool call without answering; a permission it would have asked for was probably rejected. Allow it in opencode.permission or change the task.',
      },
    };
  }
  return { ...base, status: 'completed' };
}
