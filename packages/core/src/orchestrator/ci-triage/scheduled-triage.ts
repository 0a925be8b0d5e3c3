import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import { runGit } from '../../git/run-git.js';
import { withWorktreeLock } from '../../git/worktree-lock.js';
import type { Logger } from '../../logging/logger.js';
import type { AgentBackendV1 } from '../../specifications/agent-backend.js';
import type { BudgetSubject, BudgetV1 } from '../../specifications/budget.js';
import type { Issue } from '../../specifications/issue.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import { fileIssueOnce, recoverFiledIssue, settleFiling } from '../ci-failures/file-issue-once.js';
import { singleLine } from '../ci-failures/markdown-code-block.js';
import type { TriageRunSnapshot, TriageSnapshot } from '../orchestrator-snapshot.js';
import { fetchRunCommit } from './fetch-run-commit.js';
import {
  type FailedJob,
  failureFingerprintOf,
  parseTriageAnswer,
  type TriageAnalysis,
  triagePrompt,
} from './triage-analysis.js';
import { triageIssueBody } from './triage-issue-body.js';
import { type TriagedRunRecord, TriageRunLog, triagedRunKey } from './triage-run-log.js';
import { recordTriageSpend, triageBudgetDenial, triageSubject } from './triage-spend.js';

export interface ScheduledTriageContext {
  workflow(): Workflow;
  tracker(): TrackerV1;
  scm(): ScmProviderV1 | null;
  agentFor(kind: string): AgentBackendV1;
  agentEnvironment(agent: AgentBackendV1): Record<string, string>;
  /** A directory for the triage agent's home and session files. */
  agentStateDirectory(key: string): Promise<string>;
  store(): OrchestratorStore;
  /** The budget plugin: triage runs are checked against it and recorded in its ledger. */
  budget(): BudgetV1 | null;
  events: OrchestratorEvents;
  logger: Logger;
  dryRun: boolean;
  now(): number;
}

/** One root cause, under `triage/cause/<fingerprint>`: its issue and every run it failed. */
export interface TriageCauseRecord {
  fingerprint: string;
  workflow: string;
  rootCause: string;
  trackerIssue: { id: string; identifier: string; url?: string | null } | null;
  occurrences: Array<{ runId: string; url: string | null; headSha: string; at: string }>;
}

/** Commits listed in the prompt, so the agent can name a culprit. */
const recentCommitCount = 15;

/**
 * Watches the scheduled and default-branch runs `triage.workflows` names. Each failed run is
 * triaged once (`triage/run/<id>` in the store): its failed jobs' log tails give a fingerprint
 * of the cause; a cause already filed gets an occurrence comment, a new one a read-only agent
 * run on the failing commit (a throw-away detached worktree; nothing is pushed) and one
 * tracker issue with the agent's root cause, culprit commit and suggested fix.
 */
export class ScheduledTriage {
  private lastListedAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | null = null;
  private readonly abortController = new AbortController();
  private readonly log = new TriageRunLog();
  /** The workflows watched as of the last poll (the snapshot works before any workflow loaded). */
  private watching: readonly string[] = [];

  constructor(private readonly context: ScheduledTriageContext) {}

  /** Reads the finished triages back from the store, for the snapshot. */
  restore(): Promise<void> {
    return this.log.restore(this.context.store());
  }

  snapshot(): TriageSnapshot {
    return this.log.snapshot(this.watching);
  }

  /** Starts a look at the watched workflows when one is due; never waits for it. */
  poll(): void {
    const settings = this.context.workflow().config.triage;
    const scm = this.context.scm();
    this.watching = settings.workflows;
    if (this.inFlight || this.abortController.signal.aborted || settings.workflows.length === 0) return;
    if (!scm?.listWorkflowRuns || !scm.listFailedJobs) return;
    if (this.context.now() < this.lastListedAt + settings.interval_ms) return;
    this.lastListedAt = this.context.now();
    this.inFlight = this.triageNewFailures(scm)
      .catch((error: unknown) => {
        if (this.abortController.signal.aborted) return;
        this.context.logger.warn('scheduled CI triage failed; trying again at the next interval', {
          message: describeError(error),
        });
      })
      .finally(() => {
        this.inFlight = null;
      });
  }

  /** Resolves once the triage under way (if any) has finished. */
  async settle(): Promise<void> {
    await this.inFlight;
  }

  /** Stops a triage in flight (its agent run is cancelled) and starts no other. */
  async stop(): Promise<void> {
    this.abortController.abort();
    await this.inFlight;
  }

  private async triageNewFailures(scm: ScmProviderV1): Promise<void> {
    const settings = this.context.workflow().config.triage;
    const abortSignal = this.abortController.signal;
    const runs = await scm.listWorkflowRuns!({
      workflows: settings.workflows,
      perWorkflow: settings.runs_per_check,
      abortSignal,
    });
    this.log.looked(runs, new Date(this.context.now()));
    const failed = runs
      .filter((run) => run.state === 'failure')
      .sort((left, right) => left.createdAt.getTime() - right.createdAt.getTime());
    for (const run of failed) {
      if (abortSignal.aborted) return;
      if (await this.context.store().get(triagedRunKey(run))) continue;
      const entry = this.log.started(run);
      try {
        // The budget denied the agent: nothing more starts until the next interval.
        if ((await this.triageRun(scm, run, entry)) === 'budget-denied') return;
      } finally {
        this.log.drop(entry);
      }
    }
    // A look that met no denial: whatever held triage back before holds it no more.
    this.log.denyBudget(null);
  }

  private async triageRun(
    scm: ScmProviderV1,
    run: WorkflowRun,
    entry: TriageRunSnapshot,
  ): Promise<'done' | 'budget-denied'> {
    const { store, events, dryRun } = this.context;
    const workflow = this.context.workflow();
    const settings = workflow.config.triage;
    const abortSignal = this.abortController.signal;
    const jobs: FailedJob[] = [];
    for (const job of await scm.listFailedJobs!({ run, abortSignal })) {
      const logTail = scm.getJobLog
        ? await scm
            .getJobLog({ run, jobId: job.id, maxBytes: settings.log_tail_bytes, abortSignal })
            .catch((error: unknown) => `(the log could not be read: ${describeError(error)})`)
        : '';
      jobs.push({ id: job.id, name: job.name, conclusion: job.conclusion ?? null, url: job.url, logTail });
    }
    const fingerprint = failureFingerprintOf(run, jobs);
    entry.fingerprint = fingerprint;
    const causeKey = `triage/cause/${fingerprint}`;
    const filingKey = `ci-triage:${fingerprint}`;
    const finished = (issue: { identifier: string } | null, created: boolean, failed: string | null) =>
      events.publish('ci-triage-finished', {
        runId: run.id,
        workflow: run.workflow,
        fingerprint,
        trackerIssueIdentifier: issue?.identifier ?? null,
        created,
        failed,
      });
    if (dryRun) return 'done';
    const tracker = this.context.tracker();
    const filing = { tracker, store: store(), logger: this.context.logger, abortSignal };
    const known = await store().get<TriageCauseRecord>(causeKey);
    if (!known?.trackerIssue) {
      // An earlier instance may have filed the cause's issue just before it died.
      const recovered = await recoverFiledIssue(filing, filingKey);
      if (recovered) {
        await this.saveCause(fingerprint, run, recovered.title, recovered, entry);
        await settleFiling(store(), filingKey);
        this.log.finish(entry, { stage: 'filed', trackerIssue: filedIssueOf(recovered), failed: null });
        finished(recovered, false, null);
        return 'done';
      }
    }
    if (known?.trackerIssue) {
      await this.addOccurrence(known, run);
      await this.saveRun(run, entry, fingerprint, known.trackerIssue, 'commented');
      this.log.finish(entry, {
        stage: 'commented',
        trackerIssue: filedIssueOf(known.trackerIssue),
        failed: null,
      });
      finished(known.trackerIssue, false, null);
      return 'done';
    }
    const kind = settings.agent ?? workflow.config.agent.kind;
    const subject = triageSubject(run, kind, workflow.config.agent.model ?? null);
    const denial = await triageBudgetDenial(this.context, subject);
    if (denial !== null) {
      this.log.denyBudget(denial);
      this.context.logger.info('scheduled CI triage waits for the budget', { run: run.id, reason: denial });
      return 'budget-denied';
    }

    events.publish('ci-triage-started', {
      runId: run.id,
      workflow: run.workflow,
      headSha: run.headSha,
      failedJobs: jobs.map((job) => job.name),
    });
    entry.stage = 'analysing';
    let analysis: TriageAnalysis;
    try {
      analysis = await this.analyse(run, jobs, subject, entry);
    } catch (error) {
      if (abortSignal.aborted) return 'done';
      // Not marked triaged: the next interval tries again.
      this.log.finish(entry, { stage: 'failed', trackerIssue: null, failed: describeError(error) });
      finished(null, false, describeError(error));
      return 'done';
    }
    entry.stage = 'filing';
    const filed = await fileIssueOnce(
      filing,
      {
        title: `CI triage: ${singleLine(run.workflow, 60)}: ${singleLine(analysis.rootCause, 140)}`,
        description: triageIssueBody(run, jobs, analysis, fingerprint),
        labels: [...settings.labels],
        key: filingKey,
      },
      (issue) => this.saveCause(fingerprint, run, analysis.rootCause, issue, entry),
    );
    if (!filed) {
      const reason = `the ${tracker.name} tracker cannot create issues`;
      this.log.finish(entry, { stage: 'failed', trackerIssue: null, failed: reason });
      finished(null, false, reason);
      return 'done';
    }
    this.log.finish(entry, { stage: 'filed', trackerIssue: filedIssueOf(filed.issue), failed: null });
    finished(filed.issue, filed.created, null);
    return 'done';
  }

  /** A new cause and its first run, written down once its issue exists. */
  private async saveCause(
    fingerprint: string,
    run: WorkflowRun,
    rootCause: string,
    issue: Issue,
    entry: TriageRunSnapshot,
  ): Promise<void> {
    const trackerIssue = { id: issue.id, identifier: issue.identifier, url: issue.url };
    const cause: TriageCauseRecord = {
      fingerprint,
      workflow: run.workflow,
      rootCause,
      trackerIssue,
      occurrences: [occurrenceOf(run)],
    };
    await this.context.store().set(`triage/cause/${fingerprint}`, cause);
    await this.saveRun(run, entry, fingerprint, trackerIssue, 'filed');
  }

  private async saveRun(
    run: WorkflowRun,
    entry: TriageRunSnapshot,
    fingerprint: string,
    trackerIssue: NonNullable<TriageCauseRecord['trackerIssue']>,
    outcome: 'filed' | 'commented',
  ): Promise<void> {
    const record: TriagedRunRecord = {
      fingerprint,
      at: new Date().toISOString(),
      workflow: run.workflow,
      headSha: run.headSha,
      runUrl: run.url,
      startedAt: entry.startedAt.toISOString(),
      trackerIssue: filedIssueOf(trackerIssue),
      outcome,
      costUsd: entry.costUsd,
      usage: entry.usage,
    };
    await this.context.store().set(triagedRunKey(run), record);
  }

  private async addOccurrence(cause: TriageCauseRecord, run: WorkflowRun): Promise<void> {
    const tracker = this.context.tracker();
    await tracker.commentOnIssue?.({
      issueId: cause.trackerIssue!.id,
      body: [
        `<!-- loompa:ci-triage ${cause.fingerprint} -->`,
        `Failed again with the same cause: workflow "${singleLine(run.workflow, 100)}" on \`${run.headSha.slice(0, 12)}\`${run.url ? ` (${run.url})` : ''} at ${run.createdAt.toISOString()}. ${cause.occurrences.length + 1} failures in all.`,
      ].join('\n\n'),
      abortSignal: this.abortController.signal,
    });
    await this.context.store().set(`triage/cause/${cause.fingerprint}`, {
      ...cause,
      occurrences: [...cause.occurrences, occurrenceOf(run)].slice(-100),
    });
  }

  /**
   * The read-only agent run: a detached worktree at the failing commit, removed afterwards.
   * Its spend goes to the budget's ledger.
   */
  private async analyse(
    run: WorkflowRun,
    jobs: readonly FailedJob[],
    subject: BudgetSubject,
    entry: TriageRunSnapshot,
  ): Promise<TriageAnalysis> {
    const workflow = this.context.workflow();
    const repository = workflow.repositoryPath;
    if (!repository)
      throw new Error('triage needs repository.path: the failing commit is checked out from it');
    const abortSignal = this.abortController.signal;
    // The failing commit may exist only on the forge (a run on a tag, say).
    await fetchRunCommit(repository, run, async () => this.context.scm()?.getPushTarget?.({}), abortSignal);
    const worktree = await mkdtemp(path.join(os.tmpdir(), 'loompa-triage-'));
    try {
      await withWorktreeLock(repository, () =>
        runGit(['worktree', 'add', '--detach', '--force', worktree, run.headSha], {
          cwd: repository,
          abortSignal,
        }),
      );
      const log = await runGit(
        ['log', `--max-count=${recentCommitCount}`, '--format=%H %an: %s', run.headSha],
        { cwd: worktree, abortSignal },
      );
      const agent = this.context.agentFor(subject.agentKind);
      const stateDirectory = await this.context.agentStateDirectory(`triage-${run.id}`);
      await mkdir(stateDirectory, { recursive: true });
      const startedAt = new Date();
      const result = await agent.run({
        prompt: triagePrompt(run, jobs, log.stdout, workflow.config.triage.log_tail_bytes),
        cwd: worktree,
        env: this.context.agentEnvironment(agent),
        stateDirectory,
        limits: {
          idleTimeoutMs: workflow.config.agent.stall_timeout_ms || undefined,
          runTimeoutMs: workflow.config.agent.turn_timeout_ms,
        },
        ...(subject.model ? { model: subject.model } : {}),
        abortSignal,
      });
      entry.costUsd = result.costUsd;
      entry.usage = result.usage;
      await recordTriageSpend(this.context, subject, startedAt, result);
      if (result.status !== 'completed' || !result.finalText) {
        throw new Error(result.error?.message ?? `the triage agent ended with status ${result.status}`);
      }
      return parseTriageAnswer(result.finalText);
    } finally {
      // No edit of the agent is kept: the worktree goes, whatever it holds.
      await withWorktreeLock(repository, async () => {
        await runGit(['worktree', 'remove', '--force', worktree], { cwd: repository }).catch(() => undefined);
        await rm(worktree, { recursive: true, force: true });
        await runGit(['worktree', 'prune'], { cwd: repository }).catch(() => undefined);
      }).catch(() => undefined);
    }
  }
}

const filedIssueOf = (issue: { identifier: string; url?: string | null }) => ({
  identifier: issue.identifier,
  url: issue.url ?? null,
});

const occurrenceOf = (run: WorkflowRun) => ({
  runId: run.id,
  url: run.url,
  headSha: run.headSha,
  at: run.createdAt.toISOString(),
});
