import { type AgentRunError, type AgentRunResult, redactSecrets } from '@loompa/core';
import type { OpenCodeErrorMessage, OpenCodeStreamState } from './opencode-stream-parser.js';
import type { AgentProcessOutcome } from './run-agent-process.js';

const contextOverflowPattern =
  /context (window|length)|maximum context|prompt is too long|too many tokens|context_length_exceeded/i;
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
  if (error.statusCode === 429) {
    return {
      kind: 'rate-limit',
      message: `The model provider is rate limiting requests (HTTP 429): ${text}`,
      ...(error.retryAfterMs !== null ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  if (error.name === 'ContextOverflowError' || contextOverflowPattern.test(text)) {
    return {
      kind: 'context-overflow',
      message: `The conversation no longer fits the model's context: ${text}`,
    };
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
  switch (outcome.stop) {
    case 'cancelled':
      return {
        ...base,
        status: 'cancelled',
        error: { kind: 'cancelled', message: 'The run was cancelled.' },
      };
    case 'stopped':
      return {
        ...base,
        status: 'failed',
        error: {
          kind: 'max-turns',
          message: `OpenCode reached the turn limit (${context.maxTurns}) while it still wanted to call tools; raise limits.maxTurns or split the work.`,
        },
      };
    case 'idle-timeout':
    case 'run-timeout': {
      const message =
        outcome.stop === 'idle-timeout'
          ? `OpenCode produced no output for ${context.idleTimeoutMs} ms and was stopped.`
          : `OpenCode ran longer than ${context.runTimeoutMs} ms and was stopped.`;
      return { ...base, status: 'timed-out', error: { kind: 'timeout', message } };
    }
    case 'exited':
      break;
  }
  const lastError = state.errors.at(-1);
  if (lastError) return { ...base, status: 'failed', error: classifyOpenCodeError(lastError) };
  if (outcome.exitCode !== 0 || outcome.startError !== null) {
    const how =
      outcome.startError ??
      (outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`);
    const tail = outcome.stderrTail ? `; stderr: ${redactSecrets(outcome.stderrTail)}` : '';
    return { ...base, status: 'failed', error: { kind: 'process', message: `OpenCode ${how}${tail}` } };
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
