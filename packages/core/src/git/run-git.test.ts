import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGit } from './run-git.js';

/**
 * Loompa's git runs in worktrees the agent can write. These tests plant every way a
 * repository can make git run a program (hooks, fsmonitor, filter, diff and merge drivers,
 * credential helpers) and check that none runs and none sees the orchestrator's secrets.
 */

const canary = 'loompa-canary-token-7f3a9c';
let root: string;
let repository: string;
let leaks: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Person', '-c', 'user.email=person@example.com', ...args], {
    cwd: repository,
    encoding: 'utf8',
  }).trim();
}

/** A shell command that appends its whole environment to the leak file. */
function leakCommand(label: string): string {
  return `sh -c 'echo ${label} >> ${leaks}; env >> ${leaks}; cat'`;
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'loompa-run-git-'));
  repository = path.join(root, 'repository');
  leaks = path.join(root, 'leaks.txt');
  await mkdir(repository);
  git('init', '--quiet', '--initial-branch=main');
  await writeFile(path.join(repository, 'README.md'), 'hello\n');
  git('add', '.');
  git('commit', '--quiet', '-m', 'initial');
  process.env.LOOMPA_TEST_CANARY_TOKEN = canary;
  process.env.GIT_DIR_FROM_OUTSIDE = 'no';
});

afterEach(async () => {
  delete process.env.LOOMPA_TEST_CANARY_TOKEN;
  delete process.env.GIT_DIR_FROM_OUTSIDE;
  await rm(root, { recursive: true, force: true });
});

async function plantEverything(): Promise<void> {
  const hooks = path.join(repository, '.git', 'hooks');
  for (const hook of [
    'pre-commit',
    'commit-msg',
    'post-commit',
    'pre-push',
    'post-checkout',
    'post-rewrite',
  ]) {
    await writeFile(path.join(hooks, hook), `#!/bin/sh\necho ${hook} >> ${leaks}\nenv >> ${leaks}\n`);
    await chmod(path.join(hooks, hook), 0o755);
  }
  git('config', 'core.fsmonitor', path.join(root, 'fsmonitor.sh'));
  await writeFile(
    path.join(root, 'fsmonitor.sh'),
    `#!/bin/sh\necho fsmonitor >> ${leaks}\nenv >> ${leaks}\n`,
  );
  await chmod(path.join(root, 'fsmonitor.sh'), 0o755);
  git('config', 'filter.leak.clean', leakCommand('clean'));
  git('config', 'filter.leak.smudge', leakCommand('smudge'));
  git('config', 'filter.leak.process', leakCommand('process'));
  git('config', 'filter.leak.required', 'true');
  git('config', 'diff.leak.textconv', leakCommand('textconv'));
  git('config', 'merge.leak.driver', leakCommand('merge-driver'));
  git('config', 'commit.gpgSign', 'true');
  git('config', 'gpg.program', path.join(root, 'fsmonitor.sh'));
  await writeFile(path.join(repository, '.gitattributes'), '* filter=leak diff=leak merge=leak\n');
}

describe('runGit', () => {
  it('runs no hook, fsmonitor, filter, diff or merge driver, or signing program the repository names', async () => {
    await plantEverything();
    await writeFile(path.join(repository, 'change.txt'), 'a change\n');
    await runGit(['add', '--all'], { cwd: repository });
    await runGit(['diff', '--cached', '--quiet', '--no-ext-diff', '--ignore-all-space', 'HEAD'], {
      cwd: repository,
      allowFailure: true,
    });
    await runGit(['commit', '--quiet', '-m', 'change'], {
      cwd: repository,
      env: {
        GIT_AUTHOR_NAME: 'L',
        GIT_AUTHOR_EMAIL: 'l@x',
        GIT_COMMITTER_NAME: 'L',
        GIT_COMMITTER_EMAIL: 'l@x',
      },
    });
    await runGit(['checkout', '--quiet', '-b', 'other'], { cwd: repository });
    await runGit(['status', '--porcelain'], { cwd: repository });

    expect(existsSync(leaks) ? readFileSync(leaks, 'utf8') : '(nothing ran)').toBe('(nothing ran)');
    expect(git('show', 'HEAD:change.txt')).toBe('a change');
  });

  it('gives git only the restricted environment', async () => {
    const result = await runGit(['var', 'GIT_EDITOR'], { cwd: repository, env: { EDITOR: 'ed' } });
    expect(result.stdout).toBe('ed');
    await writeFile(path.join(repository, 'env.sh'), 'env\n');
    const shown = await runGit(['-c', 'alias.show-environment=!sh env.sh', 'show-environment'], {
      cwd: repository,
    });
    expect(shown.stdout).not.toContain(canary);
    expect(shown.stdout).not.toContain('GIT_DIR_FROM_OUTSIDE');
    expect(shown.stdout).toContain('PATH=');
  });

  it('refuses to run with credentials while the repository config could redirect them', async () => {
    git('config', 'url.http://127.0.0.1:9/.insteadOf', 'https://forge.example/');
    const attempt = runGit(['ls-remote', 'https://forge.example/owner/name.git'], {
      cwd: repository,
      env: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: 'http.extraHeader',
        GIT_CONFIG_VALUE_0: `Authorization: Bearer ${canary}`,
      },
    });
    await expect(attempt).rejects.toThrow(
      /Refusing to run git with credentials in .*: the repository's own config sets url\.http:\/\/127\.0\.0\.1:9\/\.insteadof/,
    );
    await expect(attempt).rejects.not.toThrow(canary);
  });
});

describe('credential helpers', () => {
  it("asks the user's own helpers and never the repository's", async () => {
    const home = path.join(root, 'home');
    await mkdir(home);
    const helper = (label: string) => {
      const script = path.join(root, `${label}.sh`);
      return writeFile(
        script,
        `#!/bin/sh\necho ${label} >> ${leaks}\n[ "$1" = get ] && printf 'username=${label}\\npassword=secret-${label}\\n'\nexit 0\n`,
      )
        .then(() => chmod(script, 0o755))
        .then(() => script);
    };
    await writeFile(path.join(home, '.gitconfig'), `[credential]\n\thelper = ${await helper('user')}\n`);
    git('config', 'credential.helper', await helper('repository'));
    git('config', 'credential.https://forge.example.helper', await helper('repository-url'));
    const previousHome = process.env.HOME;
    process.env.HOME = home;
    try {
      const result = await runGit(['credential', 'fill'], {
        cwd: repository,
        input: 'protocol=https\nhost=forge.example\npath=owner/name.git\n\n',
      });
      expect(result.stdout).toContain('username=user');
      expect(readFileSync(leaks, 'utf8')).toBe('user\n');
    } finally {
      process.env.HOME = previousHome;
    }
  });
});
