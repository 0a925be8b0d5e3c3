import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { execa } from 'execa';

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
  idleTimeoutMs?: number;
  runTimeoutMs?: number;
  /**
   * Called with every line of standard output, without its line break. `stop` ends the
   * process (outcome `stopped`), for limits the caller enforces itself.
   */
  onLine(line: string, stop: () => void): void;
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

const stderrTailBytes = 4096;
/** Time between the polite SIGTERM and SIGKILL; keeps cancellation within two seconds. */
const terminationGraceMs = 1000;

/** Process groups still running, killed if this process exits first so no agent is orphaned. */
const liveProcessGroups = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * The variable that marks every process of one run. Agents start tools in new process groups
 * and sessions (Claude Code's shell does), out of reach of a group kill; the environment is
 * inherited all the same, so on Linux the run's processes are found by it in `/proc`.
 */
const runMarkerVariable = 'LOOMPA_AGENT_RUN_ID';

function processesMarkedWith(marker: string): number[] {
  if (process.platform !== 'linux') return [];
  const needle = `${runMarkerVariable}=${marker}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(needle)) pids.push(Number(entry));
    } catch {
      // Gone already, or not ours to read.
    }
  }
  return pids;
}

function killRun(pid: number | undefined, marker: string, signal: NodeJS.Signals): void {
  if (pid !== undefined) killGroup(pid, signal);
  for (const markedPid of processesMarkedWith(marker)) {
    try {
      process.kill(markedPid, signal);
    } catch {
      // Already gone.
    }
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
 * Runs an agent CLI in its own process group, streaming its standard output line by line.
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

  const decoder = new StringDecoder('utf8');
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    resetIdleTimer();
    pending += decoder.write(chunk);
    let start = 0;
    let newline = pending.indexOf('\n', start);
    while (newline !== -1) {
      const line = pending.slice(start, newline);
      if (line.trim() !== '') options.onLine(line, stopFromCaller);
      start = newline + 1;
      newline = pending.indexOf('\n', start);
    }
    pending = pending.slice(start);
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    resetIdleTimer();
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-stderrTailBytes);
  });

  const result = await child;
  clearTimeout(idleTimer);
  clearTimeout(runTimer);
  clearTimeout(killTimer);
  options.abortSignal?.removeEventListener('abort', onAbort);
  pending += decoder.end();
  if (pending.trim() !== '') options.onLine(pending, stopFromCaller);
  killRun(pid, marker, 'SIGKILL');
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
