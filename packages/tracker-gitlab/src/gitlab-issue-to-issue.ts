import { type Issue, normalizeName } from '@loompa/core';
import { isStateLabel, type StateRules, stateOfIssue } from './issue-states.js';

/** The fields of GitLab's issue JSON we read. */
export interface GitLabIssueFields {
  iid: number;
  title: string;
  description?: string | null;
  state: string;
  labels?: readonly (string | { name: string })[];
  assignees?: readonly { username: string }[] | null;
  web_url?: string;
  created_at?: string;
  updated_at?: string;
}

export interface IssueMappingRules extends StateRules {
  /** e.g. `priority::` — `priority::2` gives priority 2. */
  priorityLabelPrefix: string;
  /** e.g. `type::` — `type::bug` gives type `bug`. */
  typeLabelPrefix: string;
  /** Labels Loompa uses itself (the lease label); not shown as issue labels. */
  internalLabels: readonly string[];
}

export function labelNames(issue: GitLabIssueFields): string[] {
  return (issue.labels ?? []).map((label) => (typeof label === 'string' ? label : label.name));
}

function withPrefix(labels: readonly string[], prefix: string): string | null {
  const label = labels.find((candidate) => candidate.toLowerCase().startsWith(prefix.toLowerCase()));
  return label === undefined ? null : label.slice(prefix.length).trim();
}

const toDate = (value: string | undefined) => (value ? new Date(value) : null);

/**
 * A GitLab issue as Loompa's normalized `Issue`: id is the project-scoped `iid`, the
 * identifier `#iid`; state, priority and type come from scoped labels, which are left out
 * of `labels` (so are Loompa's internal ones).
 */
export function gitLabIssueToIssue(rules: IssueMappingRules, issue: GitLabIssueFields): Issue {
  const labels = labelNames(issue);
  const priorityText = withPrefix(labels, rules.priorityLabelPrefix);
  const priority = priorityText !== null && /^\d+$/.test(priorityText) ? Number(priorityText) : null;
  const type = withPrefix(labels, rules.typeLabelPrefix);
  const internal = new Set(rules.internalLabels.map(normalizeName));
  const shown = labels.filter(
    (label) =>
      !isStateLabel(rules, label) &&
      !label.toLowerCase().startsWith(rules.priorityLabelPrefix.toLowerCase()) &&
      !label.toLowerCase().startsWith(rules.typeLabelPrefix.toLowerCase()) &&
      !internal.has(normalizeName(label)),
  );
  return {
    id: String(issue.iid),
    identifier: `#${issue.iid}`,
    title: issue.title,
    description: issue.description ?? null,
    state: stateOfIssue(rules, { state: issue.state, labels }),
    priority,
    labels: [...new Set(shown.map(normalizeName))],
    type: type === null ? null : normalizeName(type),
    assignees: (issue.assignees ?? []).map((assignee) => assignee.username),
    url: issue.web_url ?? null,
    createdAt: toDate(issue.created_at),
    updatedAt: toDate(issue.updated_at),
    branchName: null,
    blockedBy: [],
    dispatchable: true,
  };
}
