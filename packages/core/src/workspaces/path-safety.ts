import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceError } from '../errors/error-classes.js';

async function realpathOrSelf(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // Not created yet: resolve the parent (which may itself be a link) and append the name.
      const parent = path.dirname(target);
      if (parent === target) return target;
      return path.join(await realpathOrSelf(parent), path.basename(target));
    }
    throw error;
  }
}

/**
 * Resolves `<root>/<key>` and refuses it unless, after following symlinks, it lies strictly
 * inside the root. This is the last line of defence against identifiers such as `..` and
 * links planted inside the root that point elsewhere.
 */
export async function resolveWorkspacePath(root: string, key: string): Promise<string> {
  const realRoot = await realpathOrSelf(path.resolve(root));
  const candidate = path.resolve(realRoot, key);
  const realCandidate = await realpathOrSelf(candidate);
  const relative = path.relative(realRoot, realCandidate);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new WorkspaceError(
      `Refusing workspace "${key}": it resolves to ${realCandidate}, outside the workspace root ${realRoot}`,
      { details: { root: realRoot, key, resolved: realCandidate } },
    );
  }
  return realCandidate;
}
