import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import { findProcessesWithEnvironmentEntry, signalProcess } from './environment-marked-processes.js';
import { OutputLines } from './output-lines.js';
import { processGroupExists } from './process-group.js';

/** Why the process stopped: on its own, or because this module stopped it. */
export type AgentProcessStop = 'exited' | 'cancelled' | 'idle-timeout' | 'run-timeout' | 'stopped';

export interface AgentProcessOptions {
  executable: string;
  args: string[];
  cwd: string;
  /** The complete environment; nothing is inherited from this process. */
  env: Record<string, string>;
  /** Written to standard input, which is then closed; standard input is empty when absent. */
  input?: string;
  abortSignal?: AbortSignal;
  /** Stops the run (outcome `idle-timeout`) when neither output stream says anything for this long. */
  idleTimeoutMs?: number;
  /** Stops the run (outcome `run-timeout`) once it has taken this long. */
  runTimeoutMs?: number;
  /**
   * Called with every non-blank line of standard output, without its line break. `stop` ends
   * the process (outcome `stopped`), for limits the caller enforces itself.
   */
  onLine(line: string, stop: () => void): void;
  /** Called with every non-blank line of standard error, without its line break. */
  onErrorLine?(line: string, stop: () => void): void;
  /** Called with the decoded text of both streams as it arrives, blank lines included. */
  onOutput?(text: string, stream: 'stdout' | 'stderr'): void;
}

export interface AgentProcessOutcome {
  stop: AgentProcessStop;
  exitCode: number | null;
  signal: string | null;
  /** The last few kilobytes of standard error, for crash reports. */
  stderrTail: string;
  /** Set when the process could not be started at all. */
  startError: string | null;
}

const stderrTailCharacters = 4096;
/** Time between the polite SIGTERM and SIGKILL; keeps cancellation within two seconds. */
const terminationGraceMs = 1000;

/** Process groups still running, killed if this process exits first so no agent is orphaned. */
const liveProcessGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  signalProcess(-pid, signal);
}

/** The variable that marks every process of one run, so tools that left the group are found. */
const runMarkerVariable = 'LOOMPA_AGENT_RUN_ID';

function killRun(pid: number | undefined, marker: string, signal: NodeJS.Signals): void {
  if (pid !== undefined) killGroup(pid, signal);
  for (const markedPid of findProcessesWithEnvironmentEntry(runMarkerVariable, marker)) {
    signalProcess(markedPid, signal);
  }
}

/** How long a run's end waits for what it killed to be gone (a loaded machine is slow to reap). */
const disappearanceTimeoutMs = 5_000;

/**
 * The final SIGKILL of a run, repeated until nothing of the run is left: a signal is only
 * delivered, not acted on, when `kill` returns, so a run that returned at once could leave a
 * tool alive for a moment (or a fork made in that moment alive for good). Zombies count as
 * gone; their parent or PID 1 reaps them.
 */
async function killRunAndWaitUntilGone(pid: number | undefined, marker: string): Promise<void> {
  const deadline = Date.now() + disappearanceTimeoutMs;
  for (;;) {
    killRun(pid, marker, 'SIGKILL');
    const left =
      (pid !== undefined && processGroupExists(pid)) ||
      findProcessesWithEnvironmentEntry(runMarkerVariable, marker).length > 0;
    if (!left || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pid of liveProcessGroups) killGroup(pid, 'SIGKILL');
  });
}

/**
 * Runs an agent CLI in its own process group, streaming its output line by line.
 * Stopping (abort, idle or run timeout) sends SIGTERM to the whole run, then SIGKILL after
 * a grace period, so tools the agent started (shells, servers) die with it. Whatever is left
 * of the run after the main process exits is killed too.
 */
export async function runAgentProcess(options: AgentProcessOptions): Promise<AgentProcessOutcome> {
  if (options.abortSignal?.aborted) {
    return { stop: 'cancelled', exitCode: null, signal: null, stderrTail: '', startError: null };
  }
  installExitHook();
  const marker = randomUUID();
  const child = execa(options.executable, options.args, {
    cwd: options.cwd,
    env: { ...options.env, [runMarkerVariable]: marker },
    extendEnv: false,
    detached: true,
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const pid = child.pid;
  if (pid !== undefined) {
    liveProcessGroups.add(pid);
    // Background processes the agent left behind would keep standard output open (and this
    // run waiting) after the agent itself exited.
    child.once('exit', () => killRun(pid, marker, 'SIGKILL'));
  }

  let stop: AgentProcessStop = 'exited';
  let killTimer: NodeJS.Timeout | undefined;
  const requestStop = (reason: AgentProcessStop) => {
    if (stop !== 'exited' || pid === undefined) return;
    stop = reason;
    killRun(pid, marker, 'SIGTERM');
    killTimer = setTimeout(() => killRun(pid, marker, 'SIGKILL'), terminationGraceMs);
  };

  let idleTimer: NodeJS.Timeout | undefined;
  const resetIdleTimer = () => {
    if (!options.idleTimeoutMs) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => requestStop('idle-timeout'), options.idleTimeoutMs);
  };
  resetIdleTimer();
  const runTimer = options.runTimeoutMs
    ? setTimeout(() => requestStop('run-timeout'), options.runTimeoutMs)
    : undefined;
  const onAbort = () => requestStop('cancelled');
  const stopFromCaller = () => requestStop('stopped');
  options.abortSignal?.addEventListener('abort', onAbort, { once: true });

  const standardOutput = new OutputLines((line) => options.onLine(line, stopFromCaller));
  const standardError = new OutputLines((line) => options.onErrorLine?.(line, stopFromCaller));
  let stderrTail = '';
  const readStandardError = (text: string) => {
    stderrTail = (stderrTail + text).slice(-stderrTailCharacters);
    if (text !== '') options.onOutput?.(text, 'stderr');
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    resetIdleTimer();
    const text = standardOutput.write(chunk);
    if (text !== '') options.onOutput?.(text, 'stdout');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    resetIdleTimer();
    readStandardError(standardError.write(chunk));
  });

  const result = await child;
  clearTimeout(idleTimer);
  clearTimeout(runTimer);
  clearTimeout(killTimer);
  options.abortSignal?.removeEventListener('abort', onAbort);
  const lastOutput = standardOutput.end();
  if (lastOutput !== '') options.onOutput?.(lastOutput, 'stdout');
  readStandardError(standardError.end());
  await killRunAndWaitUntilGone(pid, marker);
  if (pid !== undefined) liveProcessGroups.delete(pid);
  const startError =
    pid === undefined || (result.failed && result.exitCode === undefined && !result.signal)
      ? (result.originalMessage ?? result.shortMessage ?? 'the process could not be started')
      : null;
  return {
    stop,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stderrTail: stderrTail.trim(),
    startError,
  };
}
