import { testTracker } from '@loompa/testkit';
import { startGitHubTracker } from './github-tracker-fixture.js';

testTracker({
  name: 'github',
  async setup() {
    const testbed = await startGitHubTracker({ webhooks: true });
    return {
      tracker: testbed.tracker,
      async seedIssue(issue) {
        const number = testbed.seed(issue);
        const [read] = await testbed.tracker.getIssues({ ids: [String(number)] });
        return read!;
      },
      countReads: () => testbed.fake.requests.length,
      readComments: async (issueId) => testbed.comments(Number(issueId)),
      cleanup: testbed.close,
    };
  },
});
