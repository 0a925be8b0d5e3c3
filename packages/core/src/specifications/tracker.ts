import type { CallOptions } from './common.js';
import type { Issue } from './issue.js';

/** What changed in the tracker, as far as a `watch` implementation knows. */
export interface TrackerChange {
  /** Ids of the issues that changed; absent when the tracker cannot tell. */
  issueIds?: string[];
}

/** Fields accepted when creating an issue. */
export interface NewIssue {
  title: string;
  description?: string;
  state?: string;
  priority?: number;
  type?: string;
  labels?: string[];
  assignee?: string;
  blockedBy?: string[];
  /**
   * A stable key for the issue (e.g. `flaky-test:<fingerprint>`). A tracker with
   * `findIssueByKey` keeps it on the issue (`withIssueKeyMarker` puts a marker in the
   * description), so an issue created just before a crash is found instead of filed twice.
   */
  key?: string;
}

/**
 * Version 1 of the tracker slot: where work comes from. Two methods are required; every
 * other method is a capability that core uses when present and works around when absent
 * (no `watch` → polling; no `transitionIssue` → the issue is left in its state).
 */
export interface TrackerV1 {
  readonly specificationVersion: 'tracker-v1';
  /** A short name for logs and errors, e.g. `markdown`. */
  readonly name: string;
  /**
   * Environment variables holding this plugin's credentials. Core removes them from every
   * agent's environment (the orchestrator, not the agent, talks to the tracker and forge).
   */
  readonly secretEnvironmentVariables?: readonly string[];

  /** Lists the issues whose state is one of `states` (compared trimmed and case-insensitively). */
  listIssues(options: CallOptions & { states: readonly string[] }): Promise<Issue[]>;

  /**
   * Re-reads issues by id. Ids the tracker no longer knows are omitted from the result; an
   * empty `ids` list returns `[]` without reading anything.
   */
  getIssues(options: CallOptions & { ids: readonly string[] }): Promise<Issue[]>;

  /** Moves an issue to another state. */
  transitionIssue?(options: CallOptions & { issueId: string; state: string }): Promise<void>;

  /**
   * Adds a comment. With a `key`, a tracker that can edit comments replaces the earlier
   * comment written with the same key instead of adding another.
   */
  commentOnIssue?(options: CallOptions & { issueId: string; body: string; key?: string }): Promise<void>;

  /** Adds and removes labels (compared trimmed and case-insensitively). */
  updateLabels?(
    options: CallOptions & { issueId: string; add?: readonly string[]; remove?: readonly string[] },
  ): Promise<void>;

  /**
   * Claims an issue for one orchestrator for `leaseMs`, so two instances never work on the
   * same issue. Resolves `false` when someone else holds the lease.
   */
  claimIssue?(options: CallOptions & { issueId: string; owner: string; leaseMs: number }): Promise<boolean>;

  /** Gives up a claim made with `claimIssue`. */
  releaseIssue?(options: CallOptions & { issueId: string; owner: string }): Promise<void>;

  /** Creates an issue and returns it normalized. */
  createIssue?(options: CallOptions & { issue: NewIssue }): Promise<Issue>;

  /**
   * Finds the issue created with `issue.key` equal to `key`, in any state (recently created
   * ones at least), or null. Core asks only after a filing that may have been cut short.
   */
  findIssueByKey?(options: CallOptions & { key: string }): Promise<Issue | null>;

  /**
   * Reports changes as they happen until `abortSignal` aborts, so the orchestrator can tick
   * at once instead of waiting for the next poll. Must not call `onChange` after the abort.
   */
  watch?(
    options: Required<CallOptions> & {
      onChange: (change: TrackerChange) => void;
      onError?: (error: unknown) => void;
    },
  ): void;
}
