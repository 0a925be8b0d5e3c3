import type { ChangeRequest, ChangeRequestStatus, CheckResult } from './change-request.js';
import type { CallOptions } from './common.js';
import type { WorkflowRun } from './workflow-run.js';

/**
 * Where and how `git push` sends a branch. Credentials travel only in `environment` (for
 * example `GIT_CONFIG_*` variables carrying an `http.extraHeader`, or `GIT_ASKPASS`), never
 * in the URL, argv or logs.
 */
export interface PushTarget {
  /** A remote URL without credentials. */
  remoteUrl: string;
  environment: Record<string, string>;
}

/** How a change request is merged when the workflow allows merging. */
export type MergeMethod = 'merge' | 'squash' | 'rebase';

/**
 * Version 1 of the SCM provider slot: the forge side of a change. Core owns the loop
 * (publish → await → react); a provider only reads and writes the forge.
 */
export interface ScmProviderV1 {
  readonly specificationVersion: 'scm-provider-v1';
  readonly name: string;
  /**
   * Environment variables holding this plugin's credentials. Core removes them from every
   * agent's environment (the orchestrator, not the agent, talks to the tracker and forge).
   */
  readonly secretEnvironmentVariables?: readonly string[];
  /**
   * Defaults of `scm.required_approvals` and `scm.checks_settle_ms` for this provider. Core
   * assumes a forge (1 approval, 60 s) when absent: checks register there after a push.
   */
  readonly mergeDefaults?: { requiredApprovals: number; checksSettleMs: number };

  /** The open (or most recent) change request whose head is `branch`, or null. */
  findChangeRequest(options: CallOptions & { branch: string }): Promise<ChangeRequest | null>;

  /** Opens a change request. Callers look it up with `findChangeRequest` first. */
  openChangeRequest(
    options: CallOptions & { branch: string; baseBranch: string; title: string; body: string },
  ): Promise<ChangeRequest>;

  /** Reads CI, review and mergeability in one normalized snapshot. */
  getStatus(options: CallOptions & { changeRequest: ChangeRequest }): Promise<ChangeRequestStatus>;

  /**
   * Where to push branches; null when the branch needs no push (the provider reads the local
   * repository). Given a `changeRequest` whose head lives in a fork, the fork's remote.
   */
  getPushTarget?(options: CallOptions & { changeRequest?: ChangeRequest }): Promise<PushTarget | null>;

  /**
   * Open change requests to babysit although Loompa did not open them: those whose number is
   * in `numbers` (`scm.babysit`, `loompa babysit`) and those carrying `label`
   * (`scm.babysit_label`). Closed or merged numbers are left out.
   */
  listBabysitCandidates?(
    options: CallOptions & { numbers: readonly number[]; label: string | null },
  ): Promise<ChangeRequest[]>;

  /** Edits the title or body. */
  updateChangeRequest?(
    options: CallOptions & { changeRequest: ChangeRequest; title?: string; body?: string },
  ): Promise<ChangeRequest>;

  /** The last `maxBytes` of a check's log. */
  getCheckLog?(
    options: CallOptions & { changeRequest: ChangeRequest; checkId: string; maxBytes: number },
  ): Promise<string>;

  /**
   * Starts failed checks of the change request's head again (GitHub: re-run the failed jobs
   * of their workflow runs; GitLab: retry the jobs; scm-local: run the check again). Core
   * re-runs a flaky or infrastructure failure once per head instead of resuming the agent.
   * A re-run check reports under a new id once it has started.
   */
  rerunChecks?(
    options: CallOptions & { changeRequest: ChangeRequest; checks: readonly CheckResult[] },
  ): Promise<void>;

  /**
   * The most recent runs (newest first, at most `perWorkflow` each) of the scheduled or
   * default-branch workflows `triage.workflows` names.
   */
  listWorkflowRuns?(
    options: CallOptions & { workflows: readonly string[]; perWorkflow: number },
  ): Promise<WorkflowRun[]>;

  /** The failed jobs of a finished run (as checks, with their conclusions). */
  listFailedJobs?(options: CallOptions & { run: WorkflowRun }): Promise<CheckResult[]>;

  /** The last `maxBytes` of a run's job log. */
  getJobLog?(options: CallOptions & { run: WorkflowRun; jobId: string; maxBytes: number }): Promise<string>;

  /**
   * Creates or edits the comment identified by `key` (a hidden marker), so a bot keeps one
   * comment up to date instead of piling them up.
   */
  upsertComment?(
    options: CallOptions & { changeRequest: ChangeRequest; key: string; body: string },
  ): Promise<void>;

  /**
   * Replies inside a review thread. The reply then shows among the thread's comments in
   * `getStatus`: core looks there for the hidden marker in `body` before sending a reply again
   * (after a lost answer or a crash), so none is posted twice. A forge that answers somewhere
   * else (GitHub's review summaries get a pull request comment) writes it once per thread.
   */
  replyToThread?(
    options: CallOptions & { changeRequest: ChangeRequest; threadId: string; body: string },
  ): Promise<void>;

  /** Marks a review thread resolved. */
  resolveThread?(options: CallOptions & { changeRequest: ChangeRequest; threadId: string }): Promise<void>;

  /** Brings the branch up to date with its base on the server, when the forge can. */
  updateBranch?(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void>;

  /**
   * Merges, but only if the head is still `expectedHeadSha`; core calls it only when the
   * workflow opts in and every check passed.
   */
  merge?(
    options: CallOptions & { changeRequest: ChangeRequest; method: MergeMethod; expectedHeadSha: string },
  ): Promise<void>;

  /**
   * Records a person's approval of the change request's current head, as a review on the
   * forge would (scm-local keeps it as a review file). Used by `Orchestrator.approve`; forges
   * where people approve in their own interface leave it out.
   */
  approveChangeRequest?(
    options: CallOptions & { changeRequest: ChangeRequest; reviewer: string },
  ): Promise<void>;

  /** Closes without merging. */
  closeChangeRequest?(options: CallOptions & { changeRequest: ChangeRequest }): Promise<void>;

  /** Reports changes as they happen until `abortSignal` aborts. */
  watch?(
    options: Required<CallOptions> & {
      onChange: (change: { branch?: string }) => void;
      onError?: (error: unknown) => void;
    },
  ): void;
}
