import type { AgentProcessOutcome } from '../processes/run-agent-process.js';
import { redactSecrets } from '../secrets/redact-secrets.js';
import type { AgentRunError, AgentRunLimits, AgentRunResult } from '../specifications/agent-backend.js';

/**
 * Run errors every CLI backend reports the same way, so the orchestrator and the people
 * reading its logs see one wording whichever agent ran. `agentTitle` names the program
 * (`Claude Code`, `OpenCode`).
 */

/**
 * The status and error of a run stopped by cancellation or a timeout; null when the process
 * exited on its own or the backend stopped it (`stopped`), which only the backend can explain.
 */
export function processStopFailure(
  agentTitle: string,
  outcome: AgentProcessOutcome,
  limits: Pick<AgentRunLimits, 'idleTimeoutMs' | 'runTimeoutMs'>,
): Pick<AgentRunResult, 'status' | 'error'> | null {
  switch (outcome.stop) {
    case 'cancelled':
      return { status: 'cancelled', error: { kind: 'cancelled', message: 'The run was cancelled.' } };
    case 'idle-timeout':
      return {
        status: 'timed-out',
        error: {
          kind: 'timeout',
          message: `${agentTitle} produced no output for ${limits.idleTimeoutMs} ms and was stopped.`,
        },
      };
    case 'run-timeout':
      return {
        status: 'timed-out',
        error: {
          kind: 'timeout',
          message: `${agentTitle} ran longer than ${limits.runTimeoutMs} ms and was stopped.`,
        },
      };
    default:
      return null;
  }
}

/**
 * `<agentTitle> exited with code 1<detail>; stderr: …`: how the process ended (or why it never
 * started), with the redacted end of its standard error.
 */
export function processFailureMessage(agentTitle: string, outcome: AgentProcessOutcome, detail = ''): string {
  const how =
    outcome.startError ??
    (outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`);
  const tail = outcome.stderrTail ? `; stderr: ${redactSecrets(outcome.stderrTail)}` : '';
  return `${agentTitle} ${how}${detail}${tail}`;
}

/** `rate-limit` for an HTTP 429, with the wait the provider asked for when known. */
export function rateLimitError(detail: string, retryAfterMs: number | null): AgentRunError {
  return {
    kind: 'rate-limit',
    message: `The model provider is rate limiting requests (HTTP 429): ${detail}`,
    ...(retryAfterMs !== null ? { retryAfterMs } : {}),
  };
}

const contextOverflowPattern =
  /prompt is too long|context (window|length)|too many tokens|maximum context|context_length_exceeded/i;

/** True when a provider's error message says the conversation no longer fits the model. */
export function mentionsContextOverflow(message: string): boolean {
  return contextOverflowPattern.test(message);
}

/** `context-overflow`: the conversation no longer fits the model's context. */
export function contextOverflowError(detail: string): AgentRunError {
  return {
    kind: 'context-overflow',
    message: `The conversation no longer fits the model's context: ${detail}`,
  };
}
