import { LoompaError } from '../errors/loompa-error.js';
import { changedPaths, forkPoint } from './branch-commits.js';

/** How many unexpected paths an error names before it says "and N more". */
const pathsNamedInError = 10;

/** A commit about to be published changes paths the agent's work never touched. */
export class UnexpectedChangeError extends LoompaError {
  constructor(identifier: string, branch: string, paths: readonly string[]) {
    const named = paths.slice(0, pathsNamedInError).join(', ');
    const more = paths.length > pathsNamedInError ? ` and ${paths.length - pathsNamedInError} more` : '';
    super(
      'unexpected_change',
      `Refusing to publish ${branch} for ${identifier}: against the base it would change ${named}${more}, ` +
        'which the agent never touched (the commit would revert work merged into the base). Nothing was pushed.',
      { details: { branch, paths: paths.slice(0, 100) } },
    );
  }
}

/**
 * The last line of defence against publishing a stale snapshot: the change a forge would
 * show (the head against its merge-base with the base tip) may only hold paths that the
 * agent's work touched since the branch forked, or paths whose content already equals the
 * base tip's (the agent merged the base in). Any other path means the commit would delete or
 * revert someone else's merged work, so the publish fails loudly instead of shipping it.
 */
export async function assertChangeTouchesOnly(options: {
  worktree: string;
  head: string;
  baseTip: string;
  touchedPaths: ReadonlySet<string>;
  identifier: string;
  branch: string;
}): Promise<void> {
  const mergeBase = await forkPoint(options.worktree, options.head, options.baseTip);
  const published = await changedPaths(options.worktree, mergeBase, options.head);
  const differsFromBase = new Set(await changedPaths(options.worktree, options.baseTip, options.head));
  const unexpected = published.filter((file) => differsFromBase.has(file) && !options.touchedPaths.has(file));
  if (unexpected.length > 0) throw new UnexpectedChangeError(options.identifier, options.branch, unexpected);
}
