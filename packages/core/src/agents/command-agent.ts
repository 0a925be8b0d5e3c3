import { AgentBackendError } from '../errors/error-classes.js';
import { runAgentProcess } from '../processes/run-agent-process.js';
import { redactSecrets } from '../secrets/redact-secrets.js';
import type {
  AgentBackendV1,
  AgentRunOptions,
  AgentRunResult,
  AgentRunStatus,
} from '../specifications/agent-backend.js';
import { emptyTokenUsage } from '../specifications/common.js';
import type { PluginDefinition } from '../specifications/plugin.js';
import { type CommandAgentSettings, commandAgentSettingsSchema } from './command-agent-settings.js';
import { processOptionsForRun } from './process-options-for-run.js';
import { safeEventListener } from './safe-event-listener.js';

export { type CommandAgentSettings, commandAgentSettingsSchema };

/** How much of the output is kept for the error message of a failed run. */
const outputTailCharacters = 4_000;

/** How much of standard output becomes the run's final text. */
const finalTextCharacters = 20_000;

/**
 * Runs any CLI as an agent: the prompt on stdin, the worktree as working directory, exit 0
 * as success. Every output line is a `text` event. It has no sessions, so core starts each
 * run fresh with the context in the prompt. The process runs in its own group so
 * cancellation and stall kills reach everything it started.
 */
export function createCommandAgent(settings: CommandAgentSettings): AgentBackendV1 {
  const { command } = commandAgentSettingsSchema.parse(settings);
  const [file, ...args] = typeof command === 'string' ? ['sh', '-c', command] : command;
  return {
    specificationVersion: 'agent-backend-v1',
    name: 'command',
    run: (options) => runCommand(file!, args, options),
  };
}

/** The `command` plugin for WORKFLOW.md's `agent.kind: command`. */
export const commandAgent: PluginDefinition<AgentBackendV1, CommandAgentSettings> = {
  settingsSchema: commandAgentSettingsSchema,
  create: (settings) => createCommandAgent(settings),
};

async function runCommand(file: string, args: string[], options: AgentRunOptions): Promise<AgentRunResult> {
  const result = (status: AgentRunStatus, finalText: string | null, error?: AgentRunResult['error']) => ({
    status,
    sessionId: null,
    usage: emptyTokenUsage(),
    costUsd: null,
    turns: 1,
    finalText,
    ...(error ? { error } : {}),
  });
  if (options.abortSignal?.aborted) {
    return result('cancelled', null, {
      kind: 'cancelled',
      message: 'The run was cancelled before it started',
    });
  }

  const emit = safeEventListener(options.onEvent);
  let outputTail = '';
  // The final text is everything the command printed on stdout (its answer), capped.
  let standardOutput = '';
  let lastLine: string | null = null;
  const onLine = (line: string) => {
    lastLine = redactSecrets(line);
    emit({ type: 'text', text: lastLine });
  };
  const outcome = await runAgentProcess({
    ...processOptionsForRun(options),
    executable: file,
    args,
    env: options.env,
    onLine,
    onErrorLine: onLine,
    onOutput(text, stream) {
      outputTail = (outputTail + text).slice(-outputTailCharacters);
      if (stream === 'stdout') standardOutput = (standardOutput + text).slice(-finalTextCharacters);
    },
  });
  if (outcome.startError !== null && outcome.stop === 'exited') {
    throw new AgentBackendError(`Cannot start agent command "${file}": ${outcome.startError}`);
  }
  if (outcome.stop === 'cancelled') {
    return result('cancelled', lastLine, { kind: 'cancelled', message: 'The run was cancelled' });
  }
  if (outcome.stop === 'idle-timeout') {
    return result('timed-out', lastLine, {
      kind: 'timeout',
      message: `No output for ${options.limits?.idleTimeoutMs} ms; the agent was stopped`,
    });
  }
  if (outcome.stop === 'run-timeout') {
    return result('timed-out', lastLine, {
      kind: 'timeout',
      message: `The run took longer than ${options.limits?.runTimeoutMs} ms; the agent was stopped`,
    });
  }
  const finalText = standardOutput.trim() === '' ? lastLine : redactSecrets(standardOutput.trim());
  if (outcome.exitCode === 0) return result('completed', finalText);
  const tail = redactSecrets(outputTail.trim());
  const how =
    outcome.exitCode === null ? `was killed by ${outcome.signal}` : `exited with ${outcome.exitCode}`;
  return result('failed', finalText, {
    kind: 'process',
    message: `The agent command ${how}${tail ? `: ${tail.slice(-1_000)}` : ''}`,
  });
}
