import { execa } from 'execa';
import { buildRestrictedEnvironment } from '../environment/restricted-environment.js';
import { HookError } from '../errors/error-classes.js';
import { terminateProcessGroup } from '../processes/process-group.js';
import { redactSecrets } from '../secrets/redact-secrets.js';

export type HookName = 'after_create' | 'before_run' | 'after_run' | 'before_remove';

export interface RunHookOptions {
  name: HookName;
  script: string;
  cwd: string;
  timeoutMs: number;
  env?: Record<string, string>;
  abortSignal?: AbortSignal;
}

/** How much of a failing hook's output is kept in the error. */
const outputTailBytes = 4_000;

/**
 * Runs a workspace hook with `sh -lc` in its own process group; on timeout the whole group
 * (the script and anything it started) is killed. Throws `HookError` on failure or timeout.
 */
export async function runHook(options: RunHookOptions): Promise<void> {
  if (options.abortSignal?.aborted) {
    throw new HookError(options.name, `hook ${options.name} was not started: the attempt was cancelled`, {
      details: { aborted: true },
    });
  }
  const child = execa('sh', ['-lc', options.script], {
    cwd: options.cwd,
    // Hooks run in a worktree holding agent-written code: never the full environment.
    env: options.env ?? buildRestrictedEnvironment({ source: process.env }),
    extendEnv: false,
    detached: true,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  let timedOut = false;
  let aborted = false;
  const stop = () => {
    if (child.pid !== undefined) void terminateProcessGroup(child.pid);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    stop();
  };
  options.abortSignal?.addEventListener('abort', onAbort, { once: true });
  // Background children the script left keep its output pipes open, so the hook would only
  // end at its timeout; it ends with the script instead, and takes its group along.
  child.once('exit', () => {
    if (child.pid !== undefined) void terminateProcessGroup(child.pid, 500);
  });
  try {
    const result = await child;
    // Redacted with a margin before cutting, so a token is never cut into an unrecognizable half.
    const output = redactSecrets(String(result.all ?? '').slice(-2 * outputTailBytes)).slice(
      -outputTailBytes,
    );
    if (timedOut) {
      throw new HookError(
        options.name,
        `hook ${options.name} timed out after ${options.timeoutMs} ms and was killed`,
        {
          details: { output, timedOut: true },
        },
      );
    }
    if (aborted) {
      throw new HookError(options.name, `hook ${options.name} was cancelled and killed`, {
        details: { output, aborted: true },
      });
    }
    if (result.exitCode !== 0) {
      const how =
        result.exitCode === undefined ? `was killed (${result.signal})` : `exited with ${result.exitCode}`;
      throw new HookError(options.name, `hook ${options.name} ${how}: ${output.trim() || '(no output)'}`, {
        details: { output, exitCode: result.exitCode ?? null },
      });
    }
  } finally {
    clearTimeout(timer);
    options.abortSignal?.removeEventListener('abort', onAbort);
    // The script may have left background children in its group; a hook ends with its group.
    if (child.pid !== undefined) void terminateProcessGroup(child.pid, 500);
  }
}
