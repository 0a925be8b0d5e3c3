import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  type CheckResult,
  type ContinuousIntegrationState,
  describeError,
  isProcessAlive,
  type Logger,
  redactSecrets,
  ScmError,
} from '@loompa/core';
import { readJsonFile, writeJsonFileAtomically } from './atomic-json-file.js';
import type { LocalCheck } from './local-scm-settings.js';
import { runCheckCommand } from './run-check-command.js';
import type { TemporaryWorktrees } from './temporary-worktree.js';

export interface CheckRecord {
  index: number;
  name: string;
  command: string;
  state: 'pending' | 'success' | 'failure';
  exitCode: number | null;
  timedOut: boolean;
  startedAt: string | null;
  finishedAt: string | null;
  /** 1 for the first run on a head, one more for each re-run (absent in older records: 1). */
  attempt?: number;
}

/** `<state>/checks/<head>.<config hash>/result.json`, written once every check finished. */
interface CheckRunRecord {
  headSha: string;
  checks: CheckRecord[];
  completedAt: string;
}

export interface CheckRunsOptions {
  stateDirectory: string;
  worktrees: TemporaryWorktrees;
  checks: readonly LocalCheck[];
  defaultTimeoutMs: number;
  killGraceMs: number;
  logger: Logger;
  /** Called when a head's checks have all finished. */
  onCompleted(headSha: string): void;
  /** The restricted environment checks run with (they run the agent's code). */
  environment(): Record<string, string>;
}

export interface ContinuousIntegrationSnapshot {
  state: ContinuousIntegrationState;
  checks: CheckResult[];
}

// `<head>.<config hash>:<index>`, and `.<attempt>` after it for a re-run: a re-run check
// reports under a new id, as a forge's does.
const checkIdPattern = /^([0-9a-f]{40,64}\.[0-9a-f]{12}):(\d+)(?:\.(\d+))?$/;

/** The log file of a check: `<index>.log`, `<index>.<attempt>.log` for a re-run. */
const logFileOf = (index: number, attempt: number) =>
  attempt > 1 ? `${index}.${attempt}.log` : `${index}.log`;

/**
 * Runs the configured checks once per head commit, in the background, and remembers the
 * outcome on disk. A lock file holding the process id keeps two provider instances (a hot
 * reload, a second process) from running the same head twice; a lock left by a dead process
 * is taken over, so a crash mid-run means the checks run again after the restart.
 */
export class CheckRuns {
  private readonly directory: string;
  private readonly configurationHash: string;
  private readonly running = new Map<string, { checks: CheckRecord[]; done: Promise<void> }>();
  private readonly abortController = new AbortController();

  constructor(private readonly options: CheckRunsOptions) {
    this.directory = path.join(options.stateDirectory, 'checks');
    // Results belong to a head and to the check list that produced them: editing the
    // checks in WORKFLOW.md runs them again on the same head.
    this.configurationHash = createHash('sha256')
      .update(JSON.stringify(options.checks.map((check) => [check.name, check.command, check.timeoutMs])))
      .digest('hex')
      .slice(0, 12);
  }

  get configured(): boolean {
    return this.options.checks.length > 0;
  }

  private runKey(headSha: string): string {
    return `${headSha}.${this.configurationHash}`;
  }

  /** The checks of `headSha`, starting them when nobody has yet. Never waits for them. */
  async snapshot(headSha: string): Promise<ContinuousIntegrationSnapshot> {
    if (!this.configured) return { state: 'none', checks: [] };
    const key = this.runKey(headSha);
    const finished = await readJsonFile<CheckRunRecord>(path.join(this.directory, key, 'result.json'));
    if (finished) return this.describe(key, finished.checks, true);
    const active = this.running.get(key);
    if (active) return this.describe(key, active.checks, false);
    if (!this.abortController.signal.aborted) await this.start(headSha);
    return this.describe(key, this.running.get(key)?.checks ?? this.pendingChecks(), false);
  }

  private describe(key: string, checks: CheckRecord[], finished: boolean): ContinuousIntegrationSnapshot {
    const results: CheckResult[] = checks.map((check) => ({
      id: `${key}:${check.index}${(check.attempt ?? 1) > 1 ? `.${check.attempt}` : ''}`,
      name: check.name,
      state: check.state,
      url: null,
    }));
    let state: ContinuousIntegrationState = 'pending';
    if (finished) state = checks.every((check) => check.state === 'success') ? 'success' : 'failure';
    return { state, checks: results };
  }

  private pendingChecks(): CheckRecord[] {
    return this.options.checks.map((check, index) => ({
      index,
      name: check.name,
      command: check.command,
      state: 'pending',
      exitCode: null,
      timedOut: false,
      startedAt: null,
      finishedAt: null,
    }));
  }

  private async start(headSha: string): Promise<void> {
    const key = this.runKey(headSha);
    const runDirectory = path.join(this.directory, key);
    await fs.mkdir(runDirectory, { recursive: true });
    if (!(await this.acquireLock(path.join(runDirectory, 'running.lock')))) return;
    if (this.running.has(key)) return;
    // A re-run interrupted by a crash resumes with what it had: passed checks stay passed.
    const rerun = await readJsonFile<CheckRunRecord>(path.join(runDirectory, 'rerun.json'));
    const checks = rerun?.checks ?? this.pendingChecks();
    const done = this.runAll(headSha, runDirectory, checks)
      .catch((error) => {
        this.options.logger.error('scm-local checks could not run', {
          headSha,
          error: describeError(error),
        });
      })
      .finally(async () => {
        await fs.rm(path.join(runDirectory, 'running.lock'), { force: true });
        this.running.delete(key);
        if (!this.abortController.signal.aborted) this.options.onCompleted(headSha);
      });
    this.running.set(key, { checks, done });
  }

  private async acquireLock(lockPath: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        await fs.writeFile(lockPath, String(process.pid), { flag: 'wx' });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = Number((await fs.readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && isProcessAlive(owner)) return false;
      await fs.rm(lockPath, { force: true });
    }
    return false;
  }

  private async runAll(headSha: string, runDirectory: string, checks: CheckRecord[]): Promise<void> {
    const signal = this.abortController.signal;
    try {
      await this.options.worktrees.withWorktree(headSha, async (worktree) => {
        for (const check of checks) {
          if (signal.aborted) return;
          if (check.state !== 'pending') continue;
          const configured = this.options.checks[check.index]!;
          const logPath = path.join(runDirectory, logFileOf(check.index, check.attempt ?? 1));
          check.startedAt = new Date().toISOString();
          const outcome = await runCheckCommand({
            command: check.command,
            cwd: worktree,
            logPath,
            timeoutMs: configured.timeoutMs ?? this.options.defaultTimeoutMs,
            killGraceMs: this.options.killGraceMs,
            environment: {
              ...this.options.environment(),
              LOOMPA_HEAD_SHA: headSha,
              LOOMPA_CHECK_NAME: check.name,
            },
            abortSignal: signal,
          });
          if (outcome.cancelled) return;
          if (outcome.timedOut) {
            const limit = configured.timeoutMs ?? this.options.defaultTimeoutMs;
            await fs.appendFile(
              logPath,
              `\n[loompa] check "${check.name}" timed out after ${limit} ms; its process group was killed\n`,
            );
          }
          check.exitCode = outcome.exitCode;
          check.timedOut = outcome.timedOut;
          check.state = outcome.exitCode === 0 ? 'success' : 'failure';
          check.finishedAt = new Date().toISOString();
        }
      });
    } catch (error) {
      if (signal.aborted) return;
      // The worktree could not be made (a vanished commit, a full disk): every check that
      // did not run fails with the reason as its log, so the failure is visible, not silent.
      for (const check of checks.filter((candidate) => candidate.state === 'pending')) {
        await fs.writeFile(
          path.join(runDirectory, logFileOf(check.index, check.attempt ?? 1)),
          `[loompa] could not prepare a worktree at ${headSha}: ${describeError(error)}\n`,
        );
        check.state = 'failure';
        check.finishedAt = new Date().toISOString();
      }
    }
    if (signal.aborted) return;
    const record: CheckRunRecord = { headSha, checks, completedAt: new Date().toISOString() };
    await writeJsonFileAtomically(path.join(runDirectory, 'result.json'), record);
    await fs.rm(path.join(runDirectory, 'rerun.json'), { force: true });
  }

  /**
   * Runs failed checks of a finished head again (the others keep their results). The new
   * attempt gets a new id and log; until it finishes the head's checks are pending.
   */
  async rerun(checkIds: readonly string[]): Promise<void> {
    const byRun = new Map<string, Array<{ index: number; attempt: number }>>();
    for (const checkId of checkIds) {
      const { key, index, attempt } = this.parseCheckId(checkId);
      byRun.set(key, [...(byRun.get(key) ?? []), { index, attempt }]);
    }
    for (const [key, requested] of byRun) {
      const runDirectory = path.join(this.directory, key);
      const finished = await readJsonFile<CheckRunRecord>(path.join(runDirectory, 'result.json'));
      if (!finished || this.running.has(key)) {
        throw new ScmError(
          `the checks of ${key.split('.')[0]!.slice(0, 12)} are not finished; only finished checks re-run`,
          {
            details: { reason: 'checks_running' },
          },
        );
      }
      const checks = finished.checks.map((check) => {
        const wanted = requested.some(
          (request) => request.index === check.index && request.attempt === (check.attempt ?? 1),
        );
        if (!wanted || check.state !== 'failure') return check;
        return {
          ...check,
          state: 'pending' as const,
          exitCode: null,
          timedOut: false,
          startedAt: null,
          finishedAt: null,
          attempt: (check.attempt ?? 1) + 1,
        };
      });
      // rerun.json first: a crash after it resumes the re-run instead of running every check again.
      await writeJsonFileAtomically(path.join(runDirectory, 'rerun.json'), { ...finished, checks });
      await fs.rm(path.join(runDirectory, 'result.json'), { force: true });
      await this.start(finished.headSha);
    }
  }

  private parseCheckId(checkId: string): { key: string; index: number; attempt: number } {
    const match = checkIdPattern.exec(checkId);
    if (!match) {
      throw new ScmError(`"${checkId}" is not a scm-local check id (expected <head>.<hash>:<index>)`, {
        details: { reason: 'not_found', checkId },
      });
    }
    return { key: match[1]!, index: Number(match[2]), attempt: Number(match[3] ?? 1) };
  }

  /** The last `maxBytes` of a check's log, redacted; empty while nothing was written. */
  async logTail(checkId: string, maxBytes: number): Promise<string> {
    const { key, index, attempt } = this.parseCheckId(checkId);
    const logPath = path.join(this.directory, key, logFileOf(index, attempt));
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(logPath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw error;
    }
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, Math.max(0, maxBytes));
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      // Cutting at a byte offset can split a character; drop the broken first one.
      return redactSecrets(buffer.toString('utf8').replace(/^\uFFFD+/, ''));
    } finally {
      await handle.close();
    }
  }

  /** Resolves once no check run started by this instance is in progress. */
  async waitForIdle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.all([...this.running.values()].map((run) => run.done));
    }
  }

  /** Kills running checks (their results are not recorded, so they run again later). */
  async close(): Promise<void> {
    this.abortController.abort();
    await this.waitForIdle();
  }
}
