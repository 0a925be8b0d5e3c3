import { testScmProvider } from '@loompa/testkit';
import { createGitHubScmFixture, failingCheck, flakyCheck, repositoryName } from './github-scm-fixture.js';

testScmProvider({
  name: 'github',
  async setup() {
    const fixture = await createGitHubScmFixture();
    const { fake } = fixture;
    // Branch protection asks for one approval, so "blocked" and "approved" are both exercised.
    fake.setRequiredApprovals(repositoryName, 1);
    return {
      provider: fixture.provider,
      baseBranch: 'main',
      createBranchWithCommit: fixture.createBranchWithCommit,
      addCommit: fixture.addCommit,
      commitToBase: fixture.commitToBase,
      readBaseHead: fixture.readBaseHead,
      settle: () => fake.settle(),
      restart: async () => fixture.makeProvider(),
      approve: async (changeRequest) => {
        fake.submitReview(repositoryName, Number(changeRequest.id), {
          author: 'reviewer',
          state: 'APPROVED',
        });
      },
      addReviewThread: async (changeRequest, thread) => {
        fake.addReviewComment(repositoryName, Number(changeRequest.id), {
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
