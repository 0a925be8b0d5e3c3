import { createHash } from 'node:crypto';

/**
 * Git refuses `..` anywhere in a branch name, a name part starting or ending with `.`, and a
 * `.lock` ending; a leading `.` would also hide the folder (or be `.`/`..`), and a leading `-`
 * reads as an option when the branch prefix is empty. Those characters are replaced too.
 */
function sanitize(identifier: string): string {
  const sanitized = identifier
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/\.{2,}/g, (dots) => '_'.repeat(dots.length))
    .replace(/^[.-]/, '_')
    .replace(/\.lock$/, '_lock')
    .replace(/\.$/, '_');
  return sanitized === '' ? '_' : sanitized;
}

/**
 * The folder and branch name for an issue: the identifier with every character outside
 * `[A-Za-z0-9._-]` replaced by `_` (and dots git would refuse in a branch name), plus a
 * short stable hash of the original whenever anything was replaced, so `team/a-1` and
 * `team_a-1` never share a workspace.
 */
export function workspaceKeyFor(identifier: string): string {
  const sanitized = sanitize(identifier);
  if (sanitized === identifier) return identifier;
  const hash = createHash('sha256').update(identifier).digest('hex').slice(0, 8);
  return `${sanitized}-${hash}`;
}
