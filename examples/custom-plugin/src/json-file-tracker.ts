import { type Issue, normalizeName, TrackerError, type TrackerV1 } from '@loompa/core';
import { JsonIssueFile, type StoredIssue } from './json-issue-file.js';

export interface JsonFileTrackerSettings {
  /** Absolute path of the JSON file holding `{ "issues": [ … ] }`; created on the first write. */
  filePath: string;
  /** Identifiers are `<prefix>-<id>` (default `JSON`), which also names branches and workspaces. */
  identifierPrefix?: string;
}

/** A tracker that also shows its JSON file and how often it read it. */
export interface JsonFileTracker extends TrackerV1 {
  readonly file: JsonIssueFile;
}

function toDate(value: string | null): Date | null {
  if (value === null) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * Maps a stored issue onto core's normalized `Issue`: labels trimmed and lowercased, a
 * blocker that is not finished makes the issue not dispatchable.
 */
function toIssue(
  stored: StoredIssue,
  all: readonly StoredIssue[],
  prefix: string,
  terminal: Set<string>,
): Issue {
  const blockers = stored.blocked_by.map((id) => all.find((candidate) => candidate.id === id) ?? null);
  return {
    id: stored.id,
    identifier: `${prefix}-${stored.id}`,
    title: stored.title,
    description: stored.description,
    state: stored.state,
    priority: stored.priority,
    labels: stored.labels.map(normalizeName),
    type: stored.type === null ? null : normalizeName(stored.type),
    assignees: stored.assignees,
    url: null,
    createdAt: toDate(stored.created_at),
    updatedAt: toDate(stored.updated_at),
    branchName: null,
    blockedBy: stored.blocked_by.map((id, index) => ({
      id,
      identifier: `${prefix}-${id}`,
      state: blockers[index]?.state ?? null,
    })),
    dispatchable: blockers.every((blocker) => blocker === null || terminal.has(normalizeName(blocker.state))),
  };
}

/**
 * A tracker whose issues live in one JSON file. It implements the two required methods
 * (`listIssues`, `getIssues`) and four capabilities core uses when present: transitions,
 * comments (a keyed comment is edited in place), labels and creation.
 */
export function createJsonFileTracker(settings: JsonFileTrackerSettings): JsonFileTracker {
  const file = new JsonIssueFile(settings.filePath);
  const prefix = settings.identifierPrefix ?? 'JSON';
  // Blockers in these states no longer hold an issue back.
  const terminal = new Set(['done', 'cancelled', 'closed']);

  const findStored = (issues: StoredIssue[], issueId: string): StoredIssue => {
    const found = issues.find((issue) => issue.id === issueId);
    if (!found)
      throw new TrackerError(`No issue "${issueId}" in ${settings.filePath}`, { details: { issueId } });
    return found;
  };
  const touch = (issue: StoredIssue) => {
    issue.updated_at = new Date().toISOString();
  };

  return {
    specificationVersion: 'tracker-v1',
    name: 'json-file',
    file,

    async listIssues({ states, abortSignal }) {
      abortSignal?.throwIfAborted();
      const wanted = new Set(states.map(normalizeName));
      const { issues } = await file.read();
      return issues
        .filter((issue) => wanted.has(normalizeName(issue.state)))
        .map((issue) => toIssue(issue, issues, prefix, terminal));
    },

    async getIssues({ ids, abortSignal }) {
      abortSignal?.throwIfAborted();
      if (ids.length === 0) return [];
      const { issues } = await file.read();
      const wanted = new Set(ids);
      return issues
        .filter((issue) => wanted.has(issue.id))
        .map((issue) => toIssue(issue, issues, prefix, terminal));
    },

    async transitionIssue({ issueId, state }) {
      await file.update(({ issues }) => {
        const issue = findStored(issues, issueId);
        issue.state = state.trim();
        touch(issue);
      });
    },

    async commentOnIssue({ issueId, body, key }) {
      await file.update(({ issues }) => {
        const issue = findStored(issues, issueId);
        const existing =
          key === undefined ? undefined : issue.comments.find((comment) => comment.key === key);
        if (existing) existing.body = body;
        else issue.comments.push(key === undefined ? { body } : { body, key });
        touch(issue);
      });
    },

    async updateLabels({ issueId, add = [], remove = [] }) {
      await file.update(({ issues }) => {
        const issue = findStored(issues, issueId);
        const removed = new Set(remove.map(normalizeName));
        const labels = issue.labels.map(normalizeName).filter((label) => !removed.has(label));
        for (const label of add.map(normalizeName)) if (!labels.includes(label)) labels.push(label);
        issue.labels = labels;
        touch(issue);
      });
    },

    async createIssue({ issue }) {
      return file.update(({ issues }) => {
        const next = Math.max(0, ...issues.map((stored) => Number(stored.id)).filter(Number.isFinite)) + 1;
        const now = new Date().toISOString();
        const stored: StoredIssue = {
          id: String(next),
          title: issue.title,
          description: issue.description ?? null,
          state: issue.state ?? 'todo',
          priority: issue.priority ?? null,
          labels: (issue.labels ?? []).map(normalizeName),
          type: issue.type ?? null,
          assignees: issue.assignee ? [issue.assignee] : [],
          blocked_by: issue.blockedBy ?? [],
          created_at: now,
          updated_at: now,
          comments: [],
        };
        issues.push(stored);
        return toIssue(stored, issues, prefix, terminal);
      });
    },
  };
}
