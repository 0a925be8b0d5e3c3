import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkspaceError } from '../errors/error-classes.js';
import { WorkspaceManager, type WorkspaceManagerSettings } from './workspace-manager.js';

const gitEnvironment = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnvironment, encoding: 'utf8', stdio: 'pipe' }).trim();
}

function commitFile(cwd: string, name: string, content: string): string {
  execFileSync('sh', ['-c', `printf '%s' "$1" > "$2"`, 'sh', content, name], { cwd });
  git(cwd, 'add', name);
  git(cwd, 'commit', '--quiet', '-m', `add ${name}`);
  return git(cwd, 'rev-parse', 'HEAD');
}

let directory: string;
let repository: string;
let settings: WorkspaceManagerSettings;
beforeEach(async () => {
  directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-workspaces-')));
  repository = path.join(directory, 'repository');
  await mkdir(repository);
  git(repository, 'init', '--quiet', '--initial-branch=main');
  commitFile(repository, 'README.md', '# sample\n');
  settings = {
    repositoryPath: repository,
    repositoryUrl: null,
    workspaceRoot: path.join(directory, 'workspaces'),
    branchPrefix: 'loompa/',
    stateDirectory: path.join(directory, 'state'),
    baseBranch: null,
  };
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

const branches = (cwd: string) => git(cwd, 'branch', '--format=%(refname:short)').split('\n');

describe('WorkspaceManager', () => {
  it('creates a worktree at <root>/<key> on branch <prefix><key>, from the checked-out branch', async () => {
    const manager = new WorkspaceManager(settings);
    const workspace = await manager.prepare('ENG-1');
    expect(workspace).toEqual({
      key: 'ENG-1',
      path: path.join(settings.workspaceRoot, 'ENG-1'),
      branch: 'loompa/ENG-1',
      created: true,
    });
    expect(git(workspace.path, 'symbolic-ref', '--short', 'HEAD')).toBe('loompa/ENG-1');
    expect(git(workspace.path, 'rev-parse', 'HEAD')).toBe(git(repository, 'rev-parse', 'main'));
    expect(await readFile(path.join(workspace.path, 'README.md'), 'utf8')).toBe('# sample\n');
    expect(git(repository, 'worktree', 'list', '--porcelain')).toContain(`worktree ${workspace.path}`);
    // The source checkout itself is untouched.
    expect(git(repository, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(repository, 'status', '--porcelain')).toBe('');
  });

  it('uses the hashed key for identifiers that need sanitizing, in the folder and the branch', async () => {
    const manager = new WorkspaceManager(settings);
    const first = await manager.prepare('team/a-1');
    const second = await manager.prepare('team_a-1');
    expect(first.key).toMatch(/^team_a-1-[0-9a-f]{8}$/);
    expect(second.key).toBe('team_a-1');
    expect(first.path).not.toBe(second.path);
    expect(first.branch).toBe(`loompa/${first.key}`);
    expect(branches(repository)).toEqual(expect.arrayContaining([first.branch, second.branch]));
  });

  it('reuses the worktree on the second prepare, keeping its work', async () => {
    const manager = new WorkspaceManager(settings);
    const first = await manager.prepare('ENG-2');
    await writeFile(path.join(first.path, 'work.txt'), 'in progress');
    const second = await manager.prepare('ENG-2');
    expect(second).toEqual({ ...first, created: false });
    expect(await readFile(path.join(second.path, 'work.txt'), 'utf8')).toBe('in progress');
  });

  it('re-creates the worktree from the existing branch after its folder was removed', async () => {
    const manager = new WorkspaceManager(settings);
    const first = await manager.prepare('ENG-3');
    const commit = commitFile(first.path, 'feature.txt', 'done');
    await rm(first.path, { recursive: true, force: true });
    const again = await manager.prepare('ENG-3');
    expect(again.created).toBe(true);
    expect(git(again.path, 'symbolic-ref', '--short', 'HEAD')).toBe('loompa/ENG-3');
    expect(git(again.path, 'rev-parse', 'HEAD')).toBe(commit);
    expect(await readFile(path.join(again.path, 'feature.txt'), 'utf8')).toBe('done');
  });

  it('replaces a folder that holds no worktree (an interrupted create)', async () => {
    const manager = new WorkspaceManager(settings);
    const leftover = path.join(settings.workspaceRoot, 'ENG-4');
    await mkdir(leftover, { recursive: true });
    await writeFile(path.join(leftover, 'half-written'), '');
    const workspace = await manager.prepare('ENG-4');
    expect(workspace.created).toBe(true);
    expect(existsSync(path.join(workspace.path, 'half-written'))).toBe(false);
    expect(git(workspace.path, 'symbolic-ref', '--short', 'HEAD')).toBe('loompa/ENG-4');
  });

  it('remove deletes the worktree but keeps the branch and its commits', async () => {
    const manager = new WorkspaceManager(settings);
    const workspace = await manager.prepare('ENG-5');
    const commit = commitFile(workspace.path, 'kept.txt', 'kept');
    await writeFile(path.join(workspace.path, 'untracked.txt'), 'dirty');
    expect(await manager.has('ENG-5')).toBe(true);
    expect(await manager.remove('ENG-5')).toBe(workspace.path);
    expect(existsSync(workspace.path)).toBe(false);
    expect(await manager.has('ENG-5')).toBe(false);
    expect(git(repository, 'rev-parse', 'loompa/ENG-5')).toBe(commit);
    expect(git(repository, 'worktree', 'list', '--porcelain')).not.toContain(workspace.path);
    // Removing twice is harmless.
    await manager.remove('ENG-5');
  });

  it('prepares and removes many worktrees at once without git tripping over itself', async () => {
    const manager = new WorkspaceManager(settings);
    const identifiers = Array.from({ length: 16 }, (_, index) => `PAR-${index}`);
    const workspaces = await Promise.all(identifiers.map((identifier) => manager.prepare(identifier)));
    expect(workspaces.every((workspace) => workspace.created)).toBe(true);
    for (const workspace of workspaces) {
      expect(git(workspace.path, 'symbolic-ref', '--short', 'HEAD')).toBe(workspace.branch);
    }
    expect(git(repository, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(17);
    await Promise.all([
      ...identifiers.slice(0, 8).map((identifier) => manager.remove(identifier)),
      ...['PAR-16', 'PAR-17', 'PAR-18', 'PAR-19'].map((identifier) => manager.prepare(identifier)),
    ]);
    const listed = git(repository, 'worktree', 'list', '--porcelain');
    expect(listed.match(/^worktree /gm)).toHaveLength(13);
    for (const identifier of ['PAR-8', 'PAR-15', 'PAR-16', 'PAR-19']) {
      expect(listed).toContain(path.join(settings.workspaceRoot, identifier));
    }
    expect(listed).not.toContain(path.join(settings.workspaceRoot, 'PAR-0'));
  });

  it('starts new branches from scm.base_branch when it is set', async () => {
    git(repository, 'checkout', '--quiet', '-b', 'develop');
    const developCommit = commitFile(repository, 'develop.txt', 'develop');
    git(repository, 'checkout', '--quiet', 'main');
    const manager = new WorkspaceManager({ ...settings, baseBranch: 'develop' });
    const workspace = await manager.prepare('ENG-6');
    expect(git(workspace.path, 'rev-parse', 'HEAD')).toBe(developCommit);
  });

  it('honours another branch prefix', async () => {
    const manager = new WorkspaceManager({ ...settings, branchPrefix: 'agents/work-' });
    const workspace = await manager.prepare('ENG-7');
    expect(workspace.branch).toBe('agents/work-ENG-7');
    expect(git(workspace.path, 'symbolic-ref', '--short', 'HEAD')).toBe('agents/work-ENG-7');
  });

  it.each(['..', '.', '../escape', '/etc/passwd', '.hidden', 'v1..2'])(
    'keeps identifier %j inside the root on a valid branch',
    async (identifier) => {
      const manager = new WorkspaceManager(settings);
      const workspace = await manager.prepare(identifier);
      expect(path.dirname(workspace.path)).toBe(settings.workspaceRoot);
      expect(git(workspace.path, 'symbolic-ref', '--short', 'HEAD')).toBe(workspace.branch);
      expect((await readdir(directory)).sort()).toEqual(['repository', 'workspaces']);
      expect(await readdir(settings.workspaceRoot)).toEqual([workspace.key]);
    },
  );

  it('refuses a symlink planted at the workspace path that points outside the root', async () => {
    const outside = path.join(directory, 'outside');
    await mkdir(outside);
    await mkdir(settings.workspaceRoot, { recursive: true });
    await symlink(outside, path.join(settings.workspaceRoot, 'ENG-8'));
    const manager = new WorkspaceManager(settings);
    await expect(manager.prepare('ENG-8')).rejects.toThrow(/"ENG-8".*outside/);
    await expect(manager.remove('ENG-8')).rejects.toBeInstanceOf(WorkspaceError);
    expect(await readdir(outside)).toEqual([]);
    expect(branches(repository)).toEqual(['main']);
  });

  it('says clearly when repository.path is not a git checkout', async () => {
    const plain = path.join(directory, 'plain');
    await mkdir(plain);
    const manager = new WorkspaceManager({ ...settings, repositoryPath: plain });
    await expect(manager.prepare('ENG-9')).rejects.toThrow(
      new RegExp(`repository.path ${plain} is not a git checkout`),
    );
  });
});

describe('WorkspaceManager with repository.url', () => {
  let bare: string;
  beforeEach(() => {
    bare = path.join(directory, 'remote.git');
    git(directory, 'clone', '--quiet', '--bare', repository, bare);
  });

  it('clones the URL once into the state directory and makes worktrees from the clone', async () => {
    const urlSettings = { ...settings, repositoryPath: null, repositoryUrl: bare };
    const manager = new WorkspaceManager(urlSettings);
    const source = await manager.sourceCheckout();
    expect(source).toBe(path.join(settings.stateDirectory, 'source'));
    expect(git(source, 'remote', 'get-url', 'origin')).toBe(bare);
    // A marker in the clone's git directory survives only if nothing clones again.
    await writeFile(path.join(source, '.git', 'clone-marker'), '');

    const workspace = await manager.prepare('ENG-10');
    expect(workspace.created).toBe(true);
    expect(git(workspace.path, 'rev-parse', 'HEAD')).toBe(git(bare, 'rev-parse', 'main'));
    expect(git(source, 'worktree', 'list', '--porcelain')).toContain(workspace.path);

    // A new manager (a restart) finds the clone and does not clone again.
    const restarted = new WorkspaceManager(urlSettings);
    expect(await restarted.sourceCheckout()).toBe(source);
    expect((await restarted.prepare('ENG-10')).created).toBe(false);
    await restarted.prepare('ENG-11');
    expect(existsSync(path.join(source, '.git', 'clone-marker'))).toBe(true);
    // The repository the URL came from is never touched.
    expect(git(repository, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  });

  it('a failed clone is reported and retried on the next use', async () => {
    const missing = path.join(directory, 'missing.git');
    const manager = new WorkspaceManager({ ...settings, repositoryPath: null, repositoryUrl: missing });
    await expect(manager.prepare('ENG-12')).rejects.toThrow(/git clone failed/);
    git(directory, 'clone', '--quiet', '--bare', repository, missing);
    expect((await manager.prepare('ENG-12')).created).toBe(true);
  });

  it('requires repository.path or repository.url', async () => {
    const manager = new WorkspaceManager({ ...settings, repositoryPath: null, repositoryUrl: null });
    await expect(manager.prepare('ENG-13')).rejects.toThrow(/Neither repository.path nor repository.url/);
  });
});
