import fs from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, registerSecret } from '@loompa/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createLocalRepositoryFixture,
  git,
  type LocalRepositoryFixture,
} from './local-repository-fixture.js';

describe('scm-local checks', () => {
  let repository: LocalRepositoryFixture;
  beforeEach(async () => {
    repository = await createLocalRepositoryFixture();
  });
  afterEach(async () => {
    await repository.cleanup();
  });

  const openChange = async (
    provider: ReturnType<LocalRepositoryFixture['createProvider']>,
    branch = 'loompa/feature',
  ) => {
    const { worktree, headSha } = await repository.createBranch(branch, 'feature.txt', 'feature\n');
    const changeRequest = await provider.openChangeRequest({
      branch,
      baseBranch: 'main',
      title: 'Feature',
      body: '',
    });
    return { worktree, headSha, changeRequest };
  };

  it("runs checks with core's restricted environment: no credential of the orchestrator reaches them", async () => {
    process.env.LOOMPA_CHECK_CANARY_TOKEN = 'check-canary-5d1e';
    process.env.DEPLOY_PASSWORD = 'check-canary-password';
    try {
      const provider = repository.createProvider({
        // A shell parameter expansion, not a template placeholder: the check's shell expands it.
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax on purpose
        checks: [{ name: 'environment', command: 'env; echo "PATH is set: ${PATH:+yes}"' }],
      });
      const { changeRequest } = await openChange(provider);
      await provider.getStatus({ changeRequest });
      await provider.waitForIdle();
      const done = await provider.getStatus({ changeRequest });
      const log = await provider.getCheckLog({
        changeRequest,
        checkId: done.continuousIntegration.checks[0]!.id,
        maxBytes: 100_000,
      });
      expect(log).toContain('PATH is set: yes');
      expect(log).toContain('LOOMPA_CHECK_NAME=environment');
      expect(log).not.toContain('check-canary');
    } finally {
      delete process.env.LOOMPA_CHECK_CANARY_TOKEN;
      delete process.env.DEPLOY_PASSWORD;
    }
  });

  it('reports CI state none when no checks are configured', async () => {
    const provider = repository.createProvider();
    const { changeRequest, headSha } = await openChange(provider);
    const status = await provider.getStatus({ changeRequest });
    expect(status.continuousIntegration).toEqual({ state: 'none', checks: [] });
    expect(status.headSha).toBe(headSha);
  });

  it('runs checks in the background in a clean worktree at the head, then reports each outcome', async () => {
    const provider = repository.createProvider({
      checks: [
        'test -f feature.txt && test ! -e uncommitted.txt',
        { name: 'lint', command: 'echo "lint found 2 problems in feature.txt" >&2; exit 3' },
      ],
    });
    const { worktree, headSha, changeRequest } = await openChange(provider);
    // The agent's uncommitted work must not leak into the checks.
    await fs.writeFile(path.join(worktree, 'uncommitted.txt'), 'not committed\n');

    const first = await provider.getStatus({ changeRequest });
    expect(first.continuousIntegration.state).toBe('pending');
    expect(first.continuousIntegration.checks.map((check) => check.name)).toEqual([
      'test -f feature.txt && test ! -e uncommitted.txt',
      'lint',
    ]);
    await provider.waitForIdle();

    const done = await provider.getStatus({ changeRequest });
    expect(done.continuousIntegration.state).toBe('failure');
    expect(done.continuousIntegration.checks.map((check) => check.state)).toEqual(['success', 'failure']);
    const lint = done.continuousIntegration.checks[1]!;
    expect(lint.id).toContain(headSha);
    const log = await provider.getCheckLog({ changeRequest, checkId: lint.id, maxBytes: 20_000 });
    expect(log).toBe('lint found 2 problems in feature.txt\n');
    expect(await provider.getCheckLog({ changeRequest, checkId: lint.id, maxBytes: 9 })).toBe('ture.txt\n');
    await expect(
      provider.getCheckLog({ changeRequest, checkId: '../../etc/passwd', maxBytes: 10 }),
    ).rejects.toThrow(/not a scm-local check id/);

    // The temporary worktree is gone: only the source checkout and the agent's worktree remain.
    const worktrees = await git(repository.repositoryPath, 'worktree', 'list', '--porcelain');
    expect(worktrees.split('\n').filter((line) => line.startsWith('worktree '))).toHaveLength(2);
    expect(await fs.readdir(path.join(repository.stateDirectory, 'worktrees'))).toEqual([]);
  });

  it('runs the checks once per head, also across a restart, and again for a new head', async () => {
    const counter = path.join(repository.root, 'runs.txt');
    const checks = [{ name: 'count', command: `git rev-parse HEAD >> '${counter}'` }];
    const provider = repository.createProvider({ checks });
    const { worktree, headSha, changeRequest } = await openChange(provider);
    await provider.getStatus({ changeRequest });
    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    expect((await provider.getStatus({ changeRequest })).continuousIntegration.state).toBe('success');

    const restarted = repository.createProvider({ checks });
    expect((await restarted.getStatus({ changeRequest })).continuousIntegration.state).toBe('success');
    await restarted.waitForIdle();
    expect((await fs.readFile(counter, 'utf8')).trim().split('\n')).toEqual([headSha]);

    const newHead = await repository.commit(worktree, 'feature.txt', 'feature, improved\n');
    expect((await restarted.getStatus({ changeRequest })).continuousIntegration.state).toBe('pending');
    await restarted.waitForIdle();
    expect((await restarted.getStatus({ changeRequest })).continuousIntegration.state).toBe('success');
    expect((await fs.readFile(counter, 'utf8')).trim().split('\n')).toEqual([headSha, newHead]);
  });

  it('kills the whole process group of a check that runs past its timeout', async () => {
    const pidFile = path.join(repository.root, 'background.pid');
    const provider = repository.createProvider({
      checks: [
        { name: 'hangs', command: `sleep 60 & echo $! > '${pidFile}'; echo started; wait`, timeoutMs: 300 },
      ],
    });
    const { changeRequest } = await openChange(provider);
    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    const status = await provider.getStatus({ changeRequest });
    expect(status.continuousIntegration.state).toBe('failure');
    const log = await provider.getCheckLog({
      changeRequest,
      checkId: status.continuousIntegration.checks[0]!.id,
      maxBytes: 1000,
    });
    expect(log).toContain('started');
    expect(log).toContain('timed out after 300 ms');
    const backgroundPid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(isProcessAlive(backgroundPid)).toBe(false);
  });

  it('kills running checks on close and runs them again after a restart', async () => {
    const marker = path.join(repository.root, 'started.txt');
    const checks = [{ name: 'slow', command: `echo started >> '${marker}'; sleep 60` }];
    const provider = repository.createProvider({ checks });
    const { changeRequest } = await openChange(provider);
    await provider.getStatus({ changeRequest });
    // On a busy machine the check can take a while to start: wait for it, however long. The
    // file exists once the shell opened it, before echo wrote: wait for the line itself.
    await vi.waitFor(async () => expect(await fs.readFile(marker, 'utf8')).toBe('started\n'), {
      timeout: 25_000,
      interval: 25,
    });
    await provider.close();
    const restarted = repository.createProvider({
      checks: [{ name: 'slow', command: `echo started >> '${marker}'` }],
    });
    // A different check list is a different run; the killed run left no result behind.
    await restarted.getStatus({ changeRequest });
    await restarted.waitForIdle();
    expect((await restarted.getStatus({ changeRequest })).continuousIntegration.state).toBe('success');
    expect((await fs.readFile(marker, 'utf8')).trim().split('\n')).toEqual(['started', 'started']);
    const again = repository.createProvider({ checks });
    await again.getStatus({ changeRequest });
    expect((await again.getStatus({ changeRequest })).continuousIntegration.state).toBe('pending');
    await again.close();
  });

  it('redacts registered secrets from check logs', async () => {
    registerSecret('check-secret-value-4711');
    const provider = repository.createProvider({ checks: ['echo token=check-secret-value-4711; exit 1'] });
    const { changeRequest } = await openChange(provider);
    await provider.getStatus({ changeRequest });
    await provider.waitForIdle();
    const status = await provider.getStatus({ changeRequest });
    const log = await provider.getCheckLog({
      changeRequest,
      checkId: status.continuousIntegration.checks[0]!.id,
      maxBytes: 1000,
    });
    expect(log).not.toContain('check-secret-value-4711');
    expect(log).toContain('[REDACTED]');
  });
});
