import { type Issue, normalizeName } from '@loompa/core';
import { testTracker } from '@loompa/testkit';
import { createGitLabTrackerFixture } from './gitlab-tracker-fixture.js';

testTracker({
  name: 'gitlab',
  async setup() {
    const { fake, tracker, seed, notesOf } = await createGitLabTrackerFixture();
    return {
      tracker,
      async seedIssue(seedIssue) {
        const created = seed(seedIssue);
        // What the suite reads back is the tracker's business; it only needs the id.
        const issue: Issue = {
          id: String(created.iid),
          identifier: `#${created.iid}`,
          title: created.title,
          description: created.description,
          state: seedIssue.state,
          priority: seedIssue.priority ?? null,
          labels: (seedIssue.labels ?? []).map(normalizeName),
          type: null,
          assignees: [],
          url: null,
          createdAt: created.createdAt,
          updatedAt: created.updatedAt,
          branchName: null,
          blockedBy: [],
          dispatchable: true,
        };
        return issue;
      },
      countReads: () => fake.requests.length,
      readComments: async (issueId) => notesOf(Number(issueId)),
      cleanup: () => fake.close(),
    };
  },
});
