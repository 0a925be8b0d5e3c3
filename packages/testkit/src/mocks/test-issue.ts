import type { Issue } from '@loompa/core';

let nextIssueNumber = 1;

/** A complete, dispatchable issue with sensible defaults; override any field. */
export function createTestIssue(overrides: Partial<Issue> = {}): Issue {
  const number = nextIssueNumber++;
  return {
    id: overrides.id ?? `issue-${number}`,
    identifier: overrides.identifier ?? `TEST-${number}`,
    title: `Test issue ${number}`,
    description: null,
    state: 'todo',
    priority: null,
    labels: [],
    type: null,
    assignees: [],
    url: null,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, number)),
    updatedAt: null,
    branchName: null,
    blockedBy: [],
    dispatchable: true,
    ...overrides,
  };
}
