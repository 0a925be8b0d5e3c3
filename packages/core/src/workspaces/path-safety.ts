import { lstat, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceError } from '../errors/error-classes.js';

async function realpathOrSelf(target: string): Promise<string> {
  try {
    return await realpath(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A dangling link is followed by hand: git or mkdir would create its target, which
    // may lie outside the root, so the check must see where the link points.
    const link = await lstat(target).catch(() => null);
    if (link?.isSymbolicLink()) {
      return realpathOrSelf(path.resolve(path.dirname(target), await readlink(target)));
    }
    // Not created yet: resolve the parent (which may itself be a link) and append the name.
    const parent = path.dirname(target);
    if (parent === target) return target;
    return path.join(await realpathOrSelf(parent), path.basename(target));
  }
}

/** True when `candidate` lies strictly inside `root` (both already resolved). */
function isStrictlyInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  // `..foo` is a legitimate name inside the root; only `..` itself or `../…` leaves it.
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
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
  if (!isStrictlyInside(realRoot, realCandidate)) {
    throw new WorkspaceError(
      `Refusing workspace "${key}": it resolves to ${realCandidate}, which is not strictly inside the workspace root ${realRoot}`,
      { details: { root: realRoot, key, resolved: realCandidate } },
    );
  }
  return realCandidate;
}
