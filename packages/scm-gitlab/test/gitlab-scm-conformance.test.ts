import { testScmProvider } from '@loompa/testkit';
import { createGitLabScmFixture, failingCheck, flakyCheck, projectPath } from './gitlab-scm-fixture.js';

testScmProvider({
  name: 'gitlab',
  async setup() {
    // One approval required, so "approved" and "blocked" are both exercised.
    const fixture = await createGitLabScmFixture({ project: { approvalsRequired: 1 } });
    const { fake } = fixture;
    return {
      provider: fixture.provider,
      baseBranch: 'main',
      createBranchWithCommit: fixture.createBranchWithCommit,
      addCommit: fixture.addCommit,
      commitToBase: fixture.commitToBase,
      readBaseHead: fixture.readBaseHead,
      settle: () => fake.settle(),
      restart: async () => fixture.makeProvider(),
      approve: async (changeRequest) => fake.approve(projectPath, Number(changeRequest.id), 'reviewer'),
      addReviewThread: async (changeRequest, thread) => {
        fake.addDiscussion(projectPath, Number(changeRequest.id), {
          author: 'reviewer',
          body: thread.body,
          path: thread.path,
          line: thread.line,
        });
      },
      readComments: fixture.readComments,
      failingCheck,
      flakyCheck,
      cleanup: fixture.cleanup,
    };
  },
});
