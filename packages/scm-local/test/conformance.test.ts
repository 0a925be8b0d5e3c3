import path from 'node:path';
import type { ChangeRequest } from '@loompa/core';
import {
  type ConformanceFileChange,
  type ScmProviderConformanceFixture,
  testScmProvider,
} from '@loompa/testkit';
import { createLocalRepositoryFixture } from './local-repository-fixture.js';

const failingCheck = {
  name: 'no failure marker',
  logLine: 'conformance check failed: the tree holds FAIL_CHECK',
  triggerFile: 'FAIL_CHECK',
};
const flakyCheck = { name: 'flaky integration', triggerFile: 'FLAKY_CHECK' };
/** The checks; the flaky one fails the first time it runs on a head (a marker under `root` remembers). */
const checksIn = (root: string) => [
  {
    name: failingCheck.name,
    command: `echo checking; if [ -f FAIL_CHECK ]; then echo '${failingCheck.logLine}'; exit 1; fi`,
  },
  {
    name: flakyCheck.name,
    command: `if [ -f FLAKY_CHECK ] && [ ! -f "${root}/flaky-ran-on-$LOOMPA_HEAD_SHA" ]; then touch "${root}/flaky-ran-on-$LOOMPA_HEAD_SHA"; echo 'Test timed out in 5000ms.'; exit 1; fi; echo passed`,
  },
];

testScmProvider({
  name: 'local',
  async setup(): Promise<ScmProviderConformanceFixture> {
    const repository = await createLocalRepositoryFixture();
    const checks = checksIn(repository.root);
    const provider = repository.createProvider({ checks });
    const worktreeOf = (branch: string) =>
      path.join(repository.root, 'worktrees', branch.replace(/[^A-Za-z0-9]+/g, '-'));
    return {
      provider,
      baseBranch: 'main',
      failingCheck,
      flakyCheck,
      async createBranchWithCommit(branch: string, change?: ConformanceFileChange) {
        const file = change?.file ?? `${branch.replace(/[^A-Za-z0-9]+/g, '-')}.txt`;
        return (await repository.createBranch(branch, file, change?.content ?? `${branch}\n`)).headSha;
      },
      addCommit: (branch, change) => repository.commit(worktreeOf(branch), change.file, change.content),
      commitToBase: (change) => repository.commitToMain(change.file, change.content),
      readBaseHead: () => repository.head('main'),
      async settle() {
        await Promise.all(repository.providers.map((each) => each.waitForIdle()));
      },
      async restart() {
        return repository.createProvider({ checks });
      },
      readComments: (changeRequest: ChangeRequest) => provider.listComments({ changeRequest }),
      async addReviewThread(changeRequest, thread) {
        await provider.requestChanges({
          branch: changeRequest.branch,
          reviewer: 'alice',
          comments: [thread],
        });
      },
      cleanup: () => repository.cleanup(),
    };
  },
});
