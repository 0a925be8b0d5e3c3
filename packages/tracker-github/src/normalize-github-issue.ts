import { type Issue, type IssueReference, normalizeName } from '@loompa/core';
import {
  type GitHubIssueFieldRules,
  isFieldLabel,
  priorityOfLabels,
  stateOfIssue,
  typeOfLabels,
} from './github-issue-fields.js';

/** The parts of GitHub's issue JSON the tracker reads. */
export interface GitHubIssueJson {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  state_reason?: string | null;
  html_url: string;
  created_at: string;
  updated_at: string;
  labels: Array<string | { name?: string }>;
  assignees?: Array<{ login: string }> | null;
  type?: { name: string } | null;
  pull_request?: unknown;
  issue_dependencies_summary?: { blocked_by: number; total_blocked_by: number };
}

export function labelNames(issue: GitHubIssueJson): string[] {
  return issue.labels
    .map((label) => (typeof label === 'string' ? label : (label.name ?? '')))
    .filter((name) => name !== '');
}

export function issueIdentifier(number: number): string {
  return `#${number}`;
}

/** GitHub issue → Loompa's normalized issue. `blockedBy` is filled in by the caller when the summary names blockers. */
export function normalizeGitHubIssue(
  rules: GitHubIssueFieldRules,
  issue: GitHubIssueJson,
  blockedBy: IssueReference[] = [],
): Issue {
  const labels = labelNames(issue);
  const openBlockers = issue.issue_dependencies_summary?.blocked_by ?? 0;
  return {
    id: String(issue.number),
    identifier: issueIdentifier(issue.number),
    title: issue.title,
    description: issue.body ?? null,
    state: stateOfIssue(rules, { state: issue.state, state_reason: issue.state_reason ?? null, labels }),
    priority: priorityOfLabels(rules, labels),
    labels: [...new Set(labels.filter((label) => !isFieldLabel(rules, label)).map(normalizeName))],
    type: issue.type?.name ? normalizeName(issue.type.name) : typeOfLabels(rules, labels),
    assignees: (issue.assignees ?? []).map((assignee) => assignee.login),
    url: issue.html_url,
    createdAt: new Date(issue.created_at),
    updatedAt: new Date(issue.updated_at),
    branchName: null,
    blockedBy,
    dispatchable: openBlockers === 0,
  };
}
