import { pathToFileURL } from 'node:url';
import {
  hasIssueKeyMarker,
  type Issue,
  type NewIssue,
  normalizeName,
  type TrackerV1,
  withIssueKeyMarker,
} from '@loompa/core';
import { GitTaskCommitter } from './git-task-committer.js';
import type { MarkdownTaskSettings } from './markdown-task-settings.js';
import { createMarkdownTaskStore, type MarkdownTaskStore } from './markdown-task-store.js';
import type { Task } from './task.js';
import type { TaskDirectorySnapshot } from './task-directory-index.js';
import { TaskLeases } from './task-leases.js';
import { watchTaskDirectory } from './watch-task-directory.js';

/** Settings of `createMarkdownTracker`. */
export interface MarkdownTrackerSettings extends MarkdownTaskSettings {
  /** Commit the tracker's task-file changes to the source checkout's current branch. Default false. */
  commit?: boolean;
  /** Push the branch after each commit (needs `commit`). Default false. */
  push?: boolean;
  /** Remote to push to. Default `origin`. */
  remote?: string;
  /**
   * Writes within this many milliseconds of the first uncommitted one become one commit. `flush()`
   * commits at once; 0 commits only on `flush()`. Default 1000.
   */
  commitDelayMs?: number;
  /** Author of the tracker's commits; git's configured identity when absent. */
  commitAuthor?: { name: string; email: string } | null;
  /** Quiet time after file events before `watch` reports. Default 100. */
  watchDebounceMs?: number;
  /** The clock claims are written and judged by (tests move it). Default `Date.now`. */
  leaseClock?: () => number;
}

/** The markdown tracker: `TrackerV1` plus the task API and commit batching. */
export interface MarkdownTracker extends TrackerV1 {
  /** The programmatic task API on the same files (create, list, show, move, comment). */
  readonly tasks: MarkdownTaskStore;
  transitionIssue: NonNullable<TrackerV1['transitionIssue']>;
  commentOnIssue: NonNullable<TrackerV1['commentOnIssue']>;
  updateLabels: NonNullable<TrackerV1['updateLabels']>;
  /** A lease in the task folder's hidden `.claims` folder (see `task-leases.ts`). */
  claimIssue: NonNullable<TrackerV1['claimIssue']>;
  releaseIssue: NonNullable<TrackerV1['releaseIssue']>;
  createIssue: NonNullable<TrackerV1['createIssue']>;
  findIssueByKey: NonNullable<TrackerV1['findIssueByKey']>;
  watch: NonNullable<TrackerV1['watch']>;
  /**
   * Commits (and pushes) the task-file changes made since the last commit as one commit. The
   * orchestrator calls it at the end of each tick; without `commit: true` it does nothing.
   */
  flush(): Promise<void>;
  /** Commits what is pending and stops the commit timer. */
  close(): Promise<void>;
}

// pathToFileURL costs more than the rest of the mapping; file paths repeat on every tick.
const fileUrls = new Map<string, string>();
function fileUrlOf(filePath: string): string {
  let url = fileUrls.get(filePath);
  if (url === undefined) {
    if (fileUrls.size > 100_000) fileUrls.clear();
    url = pathToFileURL(filePath).href;
    fileUrls.set(filePath, url);
  }
  return url;
}

/** Maps a task onto the orchestrator's normalized issue, resolving blockers in the same snapshot. */
export function taskToIssue(
  task: Task,
  snapshot: TaskDirectorySnapshot,
  terminalStates: readonly string[],
): Issue {
  const blockedBy = task.blockedBy.map((blockerId) => {
    const blocker = snapshot.tasks.get(blockerId.toLowerCase());
    return {
      id: blocker?.id ?? blockerId,
      identifier: blocker?.id ?? blockerId,
      state: blocker?.status ?? null,
    };
  });
  // A blocker that no longer exists (deleted) does not hold the task back.
  const dispatchable = blockedBy.every(
    (blocker) => blocker.state === null || terminalStates.includes(normalizeName(blocker.state)),
  );
  return {
    id: task.id,
    identifier: task.id,
    title: task.title,
    description: task.description,
    state: task.status,
    priority: task.priority,
    labels: [...new Set(task.labels.map(normalizeName))],
    type: task.type === null ? null : normalizeName(task.type),
    assignees: task.assignee === null ? [] : [task.assignee],
    url: fileUrlOf(task.filePath),
    createdAt: task.created,
    updatedAt: task.updated,
    branchName: null,
    blockedBy,
    dispatchable,
  };
}

/**
 * Creates the markdown tracker: one `<ID>.md` file per task in `directory` of the source
 * checkout. Reads are incremental, writes atomic and conflict-checked, and with `commit: true`
 * the tracker's own changes are committed in batches.
 */
export function createMarkdownTracker(settings: MarkdownTrackerSettings): MarkdownTracker {
  const committer = settings.commit
    ? new GitTaskCommitter({
        repositoryPath: settings.repositoryPath,
        push: settings.push ?? false,
        remote: settings.remote ?? 'origin',
        delayMs: settings.commitDelayMs ?? 1_000,
        author: settings.commitAuthor ?? null,
        ...(settings.logger ? { logger: settings.logger } : {}),
      })
    : null;
  const tasks = createMarkdownTaskStore(settings, (write) =>
    committer?.record(write.filePath, write.summary),
  );
  const { terminalStates } = tasks.settings;
  const leases = new TaskLeases({
    taskDirectory: tasks.directory,
    ...(settings.leaseClock ? { now: settings.leaseClock } : {}),
  });

  const toIssues = (snapshot: TaskDirectorySnapshot, selected: Task[]) =>
    selected.map((task) => taskToIssue(task, snapshot, terminalStates));

  return {
    specificationVersion: 'tracker-v1',
    name: 'markdown',
    tasks,

    async listIssues({ states, abortSignal }) {
      const wanted = new Set(states.map(normalizeName));
      const snapshot = await tasks.snapshot({ abortSignal });
      const selected = [...snapshot.tasks.values()].filter((task) => wanted.has(normalizeName(task.status)));
      return toIssues(snapshot, selected);
    },

    async getIssues({ ids, abortSignal }) {
      if (ids.length === 0) return [];
      const snapshot = await tasks.snapshot({ abortSignal });
      const selected = ids.flatMap((id) => {
        const task = snapshot.tasks.get(id.trim().toLowerCase());
        return task ? [task] : [];
      });
      return toIssues(snapshot, selected);
    },

    async transitionIssue({ issueId, state, abortSignal }) {
      await tasks.moveTask(issueId, state, { abortSignal });
    },

    async commentOnIssue({ issueId, body, key, abortSignal }) {
      await tasks.commentOnTask(issueId, body, { abortSignal, ...(key === undefined ? {} : { key }) });
    },

    async updateLabels({ issueId, add, remove, abortSignal }) {
      await tasks.updateLabels(issueId, { add: add ?? [], remove: remove ?? [] }, { abortSignal });
    },

    async claimIssue({ issueId, owner, leaseMs }) {
      return leases.claim(issueId, owner, leaseMs);
    },

    async releaseIssue({ issueId, owner }) {
      await leases.release(issueId, owner);
    },

    async createIssue({ issue, abortSignal }: { issue: NewIssue; abortSignal?: AbortSignal }) {
      const created = await tasks.createTask(
        {
          title: issue.title,
          description: issue.key
            ? withIssueKeyMarker(issue.description, issue.key)
            : (issue.description ?? null),
          ...(issue.state === undefined ? {} : { status: issue.state }),
          priority: issue.priority ?? null,
          type: issue.type ?? null,
          labels: issue.labels ?? [],
          assignee: issue.assignee ?? null,
          blockedBy: issue.blockedBy ?? [],
        },
        { abortSignal },
      );
      return taskToIssue(created, await tasks.snapshot(), terminalStates);
    },

    async findIssueByKey({ key }: { key: string; abortSignal?: AbortSignal }) {
      const snapshot = await tasks.snapshot();
      for (const task of snapshot.tasks.values()) {
        if (hasIssueKeyMarker(task.description, key)) return taskToIssue(task, snapshot, terminalStates);
      }
      return null;
    },

    watch({ abortSignal, onChange, onError }) {
      watchTaskDirectory({
        directory: tasks.directory,
        abortSignal,
        onChange,
        ...(onError ? { onError } : {}),
        debounceMs: settings.watchDebounceMs ?? 100,
      });
    },

    async flush() {
      await committer?.flush();
    },

    async close() {
      await committer?.close();
    },
  };
}
