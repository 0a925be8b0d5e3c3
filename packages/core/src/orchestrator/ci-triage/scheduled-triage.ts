import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errorExcerptOf } from '../../change-requests/failing-test-in-log.js';
import { describeError } from '../../errors/loompa-error.js';
import type { OrchestratorEvents } from '../../events/orchestrator-events.js';
import { runGit } from '../../git/run-git.js';
import type { Logger } from '../../logging/logger.js';
import type { AgentBackendV1 } from '../../specifications/agent-backend.js';
import type { ScmProviderV1 } from '../../specifications/scm-provider.js';
import type { TrackerV1 } from '../../specifications/tracker.js';
import type { WorkflowRun } from '../../specifications/workflow-run.js';
import type { OrchestratorStore } from '../../store/orchestrator-store.js';
import type { Workflow } from '../../workflow/load-workflow.js';
import { markdownCodeBlock, singleLine } from '../ci-failures/markdown-code-block.js';
import {
  type FailedJob,
  failureFingerprintOf,
  parseTriageAnswer,
  type TriageAnalysis,
  triagePrompt,
} from './triage-analysis.js';

export interface ScheduledTriageContext {
  workflow(): Workflow;
  tracker(): TrackerV1;
  scm(): ScmProviderV1 | null;
  agentFor(kind: string): AgentBackendV1;
  agentEnvironment(agent: AgentBackendV1): Record<string, string>;
  /** A directory for the triage agent's home and session files. */
  agentStateDirectory(key: string): Promise<string>;
  store(): OrchestratorStore;
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
  trackerIssue: { id: string; identifier: string } | null;
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

  constructor(private readonly context: ScheduledTriageContext) {}

  /** Starts a look at the watched workflows when one is due; never waits for it. */
  poll(): void {
    const settings = this.context.workflow().config.triage;
    const scm = this.context.scm();
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
    const failed = runs
      .filter((run) => run.state === 'failure')
      .sort((left, right) => left.createdAt.getTime() - right.createdAt.getTime());
    for (const run of failed) {
      if (abortSignal.aborted) return;
      if (await this.context.store().get(runKey(run))) continue;
      await this.triageRun(scm, run);
    }
  }

  private async triageRun(scm: ScmProviderV1, run: WorkflowRun): Promise<void> {
    const { store, events, dryRun } = this.context;
    const settings = this.context.workflow().config.triage;
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
    const causeKey = `triage/cause/${fingerprint}`;
    const known = await store().get<TriageCauseRecord>(causeKey);
    const finished = (issue: { identifier: string } | null, created: boolean, failed: string | null) =>
      events.publish('ci-triage-finished', {
        runId: run.id,
        workflow: run.workflow,
        fingerprint,
        trackerIssueIdentifier: issue?.identifier ?? null,
        created,
        failed,
      });
    if (dryRun) return;
    if (known?.trackerIssue) {
      await this.addOccurrence(known, run);
      await store().set(runKey(run), { fingerprint, at: new Date().toISOString() });
      finished(known.trackerIssue, false, null);
      return;
    }

    events.publish('ci-triage-started', {
      runId: run.id,
      workflow: run.workflow,
      headSha: run.headSha,
      failedJobs: jobs.map((job) => job.name),
    });
    let analysis: TriageAnalysis;
    try {
      analysis = await this.analyse(run, jobs);
    } catch (error) {
      if (abortSignal.aborted) return;
      // Not marked triaged: the next interval tries again.
      finished(null, false, describeError(error));
      return;
    }
    const tracker = this.context.tracker();
    if (!tracker.createIssue) {
      finished(null, false, `the ${tracker.name} tracker cannot create issues`);
      return;
    }
    const created = await tracker.createIssue({
      issue: {
        title: `CI triage: ${singleLine(run.workflow, 60)}: ${singleLine(analysis.rootCause, 140)}`,
        description: triageIssueBody(run, jobs, analysis, fingerprint),
        labels: [...settings.labels],
      },
      abortSignal,
    });
    const cause: TriageCauseRecord = {
      fingerprint,
      workflow: run.workflow,
      rootCause: analysis.rootCause,
      trackerIssue: { id: created.id, identifier: created.identifier },
      occurrences: [occurrenceOf(run)],
    };
    await store().set(causeKey, cause);
    await store().set(runKey(run), { fingerprint, at: new Date().toISOString() });
    finished(created, true, null);
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

  /** The read-only agent run: a detached worktree at the failing commit, removed afterwards. */
  private async analyse(run: WorkflowRun, jobs: readonly FailedJob[]): Promise<TriageAnalysis> {
    const workflow = this.context.workflow();
    const repository = workflow.repositoryPath;
    if (!repository)
      throw new Error('triage needs repository.path: the failing commit is checked out from it');
    const abortSignal = this.abortController.signal;
    await this.fetchCommit(repository, run);
    const worktree = await mkdtemp(path.join(os.tmpdir(), 'loompa-triage-'));
    try {
      await runGit(['worktree', 'add', '--detach', '--force', worktree, run.headSha], {
        cwd: repository,
        abortSignal,
      });
      const log = await runGit(
        ['log', `--max-count=${recentCommitCount}`, '--format=%H %an: %s', run.headSha],
        { cwd: worktree, abortSignal },
      );
      const kind = workflow.config.triage.agent ?? workflow.config.agent.kind;
      const agent = this.context.agentFor(kind);
      const stateDirectory = await this.context.agentStateDirectory(`triage-${run.id}`);
      await mkdir(stateDirectory, { recursive: true });
      const result = await agent.run({
        prompt: triagePrompt(run, jobs, log.stdout, workflow.config.triage.log_tail_bytes),
        cwd: worktree,
        env: this.context.agentEnvironment(agent),
        stateDirectory,
        limits: {
          idleTimeoutMs: workflow.config.agent.stall_timeout_ms || undefined,
          runTimeoutMs: workflow.config.agent.turn_timeout_ms,
        },
        ...(workflow.config.agent.model ? { model: workflow.config.agent.model } : {}),
        abortSignal,
      });
      if (result.status !== 'completed' || !result.finalText) {
        throw new Error(result.error?.message ?? `the triage agent ended with status ${result.status}`);
      }
      return parseTriageAnswer(result.finalText);
    } finally {
      // No edit of the agent is kept: the worktree goes, whatever it holds.
      await runGit(['worktree', 'remove', '--force', worktree], { cwd: repository }).catch(() => undefined);
      await rm(worktree, { recursive: true, force: true });
      await runGit(['worktree', 'prune'], { cwd: repository }).catch(() => undefined);
    }
  }

  /** The failing commit may exist only on the forge: fetched from the push remote when missing. */
  private async fetchCommit(repository: string, run: WorkflowRun): Promise<void> {
    const present = await runGit(['cat-file', '-e', `${run.headSha}^{commit}`], { cwd: repository })
      .then(() => true)
      .catch(() => false);
    if (present) return;
    const target = await this.context.scm()?.getPushTarget?.({});
    if (!target)
      throw new Error(`the commit ${run.headSha} is not in ${repository} and the provider has no remote`);
    await runGit(['fetch', '--no-tags', target.remoteUrl, `refs/heads/${run.branch}`], {
      cwd: repository,
      env: target.environment,
      abortSignal: this.abortController.signal,
    });
  }
}

const runKey = (run: WorkflowRun) => `triage/run/${run.id}`;

const occurrenceOf = (run: WorkflowRun) => ({
  runId: run.id,
  url: run.url,
  headSha: run.headSha,
  at: run.createdAt.toISOString(),
});

function triageIssueBody(
  run: WorkflowRun,
  jobs: readonly FailedJob[],
  analysis: TriageAnalysis,
  fingerprint: string,
): string {
  return [
    `<!-- loompa:ci-triage ${fingerprint} -->`,
    `The scheduled workflow "${singleLine(run.workflow, 100)}" failed on ${singleLine(run.branch, 100)} at \`${run.headSha}\`${run.url ? ` (${run.url})` : ''}. A read-only agent run looked at the failure:`,
    `**Root cause:** ${singleLine(analysis.rootCause, 500)}`,
    `**Likely culprit commit:** ${analysis.culpritCommit ? `\`${analysis.culpritCommit}\`` : 'unknown'}`,
    `**Suggested fix:** ${singleLine(analysis.suggestedFix, 1000)}`,
    '## Failed jobs',
    ...jobs.map(
      (job) =>
        `### ${singleLine(job.name, 100)}${job.url ? ` (${job.url})` : ''}\n\n${markdownCodeBlock(errorExcerptOf(job.logTail, 30))}`,
    ),
    '## The agent’s analysis',
    markdownCodeBlock(analysis.text),
    'Later failures with the same cause are added here as comments.',
  ].join('\n\n');
}
