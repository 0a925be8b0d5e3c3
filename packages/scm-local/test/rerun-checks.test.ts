import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalRepositoryFixture, type LocalRepositoryFixture } from './local-repository-fixture.js';

describe('scm-local re-runs failed checks', () => {
  let repository: LocalRepositoryFixture;
  beforeEach(async () => {
    repository = await createLocalRepositoryFixture();
  });
  afterEach(async () => {
    await repository.cleanup();
  });

  it('runs only the failed check again, under a new id with its own log; the passed one keeps its result', async () => {
    const counter = path.join(repository.root, 'flaky-runs');
    const provider = repository.createProvider({
      checks: [
        { name: 'lint', command: 'echo "lint ran" >> "$LINT_RUNS"; echo clean' },
        {
          name: 'unit',
          command: `echo x >> ${counter}; n=$(wc -l < ${counter}); echo "attempt $n"; test "$n" -ge 2`,
        },
      ],
      checkEnvironment: () => ({
        PATH: process.env.PATH ?? '',
        LINT_RUNS: path.join(repository.root, 'lint-runs'),
      }),
    });
    const { headSha } = await repository.createBranch('loompa/flaky', 'feature.txt', 'feature\n');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/flaky',
      baseBranch: 'main',
      title: 'Flaky',
      body: '',
    });
    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    const failed = await provider.getStatus({ changeRequest });
    expect(failed.continuousIntegration.state).toBe('failure');
    const [lint, unit] = failed.continuousIntegration.checks;
    expect(unit).toMatchObject({ name: 'unit', state: 'failure' });

    await provider.rerunChecks({ changeRequest, checks: [unit!] });
    const rerunning = await provider.getStatus({ changeRequest });
    expect(rerunning.continuousIntegration.state).toBe('pending');
    await provider.waitForIdle();
    const passed = await provider.getStatus({ changeRequest });
    expect(passed.headSha).toBe(headSha);
    expect(passed.continuousIntegration.state).toBe('success');
    const [lintAfter, unitAfter] = passed.continuousIntegration.checks;
    expect(lintAfter!.id).toBe(lint!.id);
    expect(unitAfter!.id).not.toBe(unit!.id);
    // Each attempt keeps its own log: the failure stays readable under its old id.
    expect(await provider.getCheckLog({ changeRequest, checkId: unit!.id, maxBytes: 1000 })).toContain(
      'attempt 1',
    );
    expect(await provider.getCheckLog({ changeRequest, checkId: unitAfter!.id, maxBytes: 1000 })).toContain(
      'attempt 2',
    );
    expect((await readFile(path.join(repository.root, 'lint-runs'), 'utf8')).trim().split('\n')).toHaveLength(
      1,
    );
  });

  it('refuses to re-run checks that are still running', async () => {
    const provider = repository.createProvider({ checks: [{ name: 'slow', command: 'sleep 30' }] });
    await repository.createBranch('loompa/slow', 'feature.txt', 'feature\n');
    const changeRequest = await provider.openChangeRequest({
      branch: 'loompa/slow',
      baseBranch: 'main',
      title: 'Slow',
      body: '',
    });
    const status = await provider.getStatus({ changeRequest });
    await expect(
      provider.rerunChecks({ changeRequest, checks: status.continuousIntegration.checks }),
    ).rejects.toThrow(/not finished/);
  });
});
