import { mkdir, mkdtemp, readdir, realpath, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WorkspaceError } from '../errors/error-classes.js';
import { LoompaError } from '../errors/loompa-error.js';
import { resolveWorkspacePath } from './path-safety.js';
import { workspaceKeyFor } from './workspace-key.js';

let directory: string;
let root: string;
let outside: string;
beforeEach(async () => {
  directory = await realpath(await mkdtemp(path.join(os.tmpdir(), 'loompa-path-safety-')));
  root = path.join(directory, 'workspaces');
  outside = path.join(directory, 'outside');
  await mkdir(root);
  await mkdir(outside);
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function refusal(key: string): Promise<WorkspaceError> {
  const error = await resolveWorkspacePath(root, key).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkspaceError);
  expect(LoompaError.isInstance(error)).toBe(true);
  return error as WorkspaceError;
}

describe('resolveWorkspacePath', () => {
  it('keeps an ordinary key inside the root', async () => {
    expect(await resolveWorkspacePath(root, 'ENG-1')).toBe(path.join(root, 'ENG-1'));
  });

  it.each([
    ['..', () => directory],
    ['.', () => root],
    ['../escape', () => path.join(directory, 'escape')],
    ['/etc/passwd', () => '/etc/passwd'],
    ['a/../../escape', () => path.join(directory, 'escape')],
  ])('refuses the raw key %j, naming the key and where it resolves', async (key, resolved) => {
    const error = await refusal(key);
    expect(error.code).toBe('workspace_failed');
    expect(error.message).toContain(`"${key}"`);
    expect(error.message).toContain(resolved());
    expect(error.message).toContain(root);
    expect(error.details).toMatchObject({ key, resolved: resolved(), root });
  });

  it.each(['..', '.', '../escape', '/etc/passwd', '../../../../etc/passwd'])(
    'the key derived from identifier %j stays directly inside the root',
    async (identifier) => {
      const resolved = await resolveWorkspacePath(root, workspaceKeyFor(identifier));
      expect(path.dirname(resolved)).toBe(root);
    },
  );

  it('accepts names that merely start with two dots', async () => {
    expect(await resolveWorkspacePath(root, '..hidden')).toBe(path.join(root, '..hidden'));
    expect(await resolveWorkspacePath(root, '...')).toBe(path.join(root, '...'));
  });

  it('refuses a symlink planted at <root>/<key> that points outside the root', async () => {
    await symlink(outside, path.join(root, 'ENG-2'));
    const error = await refusal('ENG-2');
    expect(error.message).toContain('"ENG-2"');
    expect(error.message).toContain(outside);
  });

  it('refuses a dangling symlink whose target would be created outside the root', async () => {
    const target = path.join(outside, 'not-yet');
    await symlink(target, path.join(root, 'ENG-3'));
    const error = await refusal('ENG-3');
    expect(error.message).toContain(target);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses a key under a linked folder that leads outside the root', async () => {
    await symlink(outside, path.join(root, 'linked'));
    const error = await refusal('linked/ENG-4');
    expect(error.message).toContain(path.join(outside, 'ENG-4'));
  });

  it('accepts a symlink that stays inside the root, returning the resolved path', async () => {
    await mkdir(path.join(root, 'real'));
    await symlink(path.join(root, 'real'), path.join(root, 'alias'));
    expect(await resolveWorkspacePath(root, 'alias')).toBe(path.join(root, 'real'));
  });

  it('follows a root that is itself a symlink', async () => {
    const linkedRoot = path.join(directory, 'linked-root');
    await symlink(root, linkedRoot);
    expect(await resolveWorkspacePath(linkedRoot, 'ENG-5')).toBe(path.join(root, 'ENG-5'));
    await symlink(outside, path.join(root, 'ENG-6'));
    await expect(resolveWorkspacePath(linkedRoot, 'ENG-6')).rejects.toBeInstanceOf(WorkspaceError);
  });
});
