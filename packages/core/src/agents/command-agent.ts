import { execa } from 'execa';
import { z } from 'zod';
import { AgentBackendError } from '../errors/error-classes.js';
import { terminateProcessGroup } from '../processes/process-group.js';
import { redactSecrets } from '../secrets/redact-secrets.js';
import type {
  AgentBackendV1,
  AgentEvent,
  AgentRunOptions,
  AgentRunResult,
  AgentRunStatus,
} from '../specifications/agent-backend.js';
import { emptyTokenUsage } from '../specifications/common.js';
import type { PluginDefinition } from '../specifications/plugin.js';

/** Settings of the `command:` section of WORKFLOW.md. */
export const commandAgentSettingsSchema = z.object({
  /** A shell command (run with `sh -c`), or argv as a list. The prompt arrives on stdin. */
  command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
});

export type CommandAgentSettings = z.input<typeof commandAgentSettingsSchema>;

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
  const emit = (event: AgentEvent) => options.onEvent?.(event);
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

  const child = execa(file, args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true,
    reject: false,
    input: options.prompt,
    buffer: false,
  });
  let stopReason: 'cancelled' | 'idle' | 'run-timeout' | null = null;
  const stop = (reason: 'cancelled' | 'idle' | 'run-timeout') => {
    if (stopReason !== null) return;
    stopReason = reason;
    if (child.pid !== undefined) void terminateProcessGroup(child.pid);
  };

  let idleTimer: NodeJS.Timeout | null = null;
  const idleTimeoutMs = options.limits?.idleTimeoutMs;
  const touch = () => {
    if (!idleTimeoutMs) return;
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => stop('idle'), idleTimeoutMs);
  };
  touch();
  const runTimer = options.limits?.runTimeoutMs
    ? setTimeout(() => stop('run-timeout'), options.limits.runTimeoutMs)
    : null;
  const onAbort = () => stop('cancelled');
  options.abortSignal?.addEventListener('abort', onAbort, { once: true });

  let outputTail = '';
  // The final text is everything the command printed on stdout (its answer), capped.
  let standardOutput = '';
  let lastLine: string | null = null;
  const consume = (stream: NodeJS.ReadableStream | null, isStandardOutput: boolean) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        touch();
        outputTail = (outputTail + chunk).slice(-outputTailCharacters);
        if (isStandardOutput) standardOutput = (standardOutput + chunk).slice(-finalTextCharacters);
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.trim() === '') continue;
          lastLine = line;
          emit({ type: 'text', text: redactSecrets(line) });
        }
      });
      stream.on('end', () => {
        if (pending.trim() !== '') {
          lastLine = pending;
          emit({ type: 'text', text: redactSecrets(pending) });
        }
        resolve();
      });
      stream.on('error', () => resolve());
    });

  try {
    const [outcome] = await Promise.all([child, consume(child.stdout, true), consume(child.stderr, false)]);
    if (
      outcome.failed &&
      outcome.exitCode === undefined &&
      outcome.signal === undefined &&
      stopReason === null
    ) {
      throw new AgentBackendError(`Cannot start agent command "${file}": ${outcome.shortMessage}`, {
        cause: outcome,
      });
    }
    const tail = redactSecrets(outputTail.trim());
    const finalText = standardOutput.trim() === '' ? lastLine : redactSecrets(standardOutput.trim());
    if (stopReason === 'cancelled') {
      return result('cancelled', lastLine, { kind: 'cancelled', message: 'The run was cancelled' });
    }
    if (stopReason === 'idle') {
      return result('timed-out', lastLine, {
        kind: 'timeout',
        message: `No output for ${idleTimeoutMs} ms; the agent was stopped`,
      });
    }
    if (stopReason === 'run-timeout') {
      return result('timed-out', lastLine, {
        kind: 'timeout',
        message: `The run took longer than ${options.limits?.runTimeoutMs} ms; the agent was stopped`,
      });
    }
    if (outcome.exitCode === 0) return result('completed', finalText);
    const how =
      outcome.exitCode === undefined ? `was killed by ${outcome.signal}` : `exited with ${outcome.exitCode}`;
    return result('failed', finalText, {
      kind: 'process',
      message: `The agent command ${how}${tail ? `: ${tail.slice(-1_000)}` : ''}`,
    });
  } finally {
    if (idleTimer) clearTimeout(idleTimer);
    if (runTimer) clearTimeout(runTimer);
    options.abortSignal?.removeEventListener('abort', onAbort);
    if (child.pid !== undefined) void terminateProcessGroup(child.pid, 500);
  }
}
