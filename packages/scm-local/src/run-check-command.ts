import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { signalProcessGroup } from '@loompa/core';

export interface CheckCommandOutcome {
  /** The command's exit code; null when it was killed (timeout, cancellation). */
  exitCode: number | null;
  timedOut: boolean;
  cancelled: boolean;
}

export interface RunCheckCommandOptions {
  command: string;
  cwd: string;
  logPath: string;
  timeoutMs: number;
  killGraceMs: number;
  environment: Record<string, string>;
  abortSignal?: AbortSignal;
}

/**
 * Runs `sh -c command` as the leader of its own process group with standard output and
 * error both going to `logPath`, in the order written. On timeout or abort the whole group
 * gets SIGTERM, then SIGKILL after the grace period; when the shell exits, whatever it left
 * running in the background is killed too, so a check never leaves orphans.
 */
export async function runCheckCommand(options: RunCheckCommandOptions): Promise<CheckCommandOutcome> {
  const log = await fs.open(options.logPath, 'w');
  let timedOut = false;
  let cancelled = false;
  let processId: number | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    if (processId === undefined) return;
    const leader = processId;
    signalProcessGroup(leader, 'SIGTERM');
    graceTimer ??= setTimeout(() => signalProcessGroup(leader, 'SIGKILL'), options.killGraceMs);
  };
  const onAbort = () => {
    cancelled = true;
    stop();
  };
  const timeoutTimer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  try {
    const subprocess = spawn('sh', ['-c', options.command], {
      cwd: options.cwd,
      env: options.environment,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      subprocess.once('error', reject);
      subprocess.once('exit', (code, signal) => resolve({ code, signal }));
    });
    processId = subprocess.pid;
    if (options.abortSignal?.aborted) onAbort();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    const result = await exited;
    if (processId !== undefined) signalProcessGroup(processId, 'SIGKILL');
    const killed = timedOut || cancelled || result.signal !== null;
    return { exitCode: killed ? null : result.code, timedOut, cancelled };
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(graceTimer);
    options.abortSignal?.removeEventListener('abort', onAbort);
    await log.close();
  }
}
