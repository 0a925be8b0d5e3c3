import { createHash } from 'node:crypto';

/**
 * The folder and branch name for an issue: the identifier with every character outside
 * `[A-Za-z0-9._-]` replaced by `_`, plus a short stable hash of the original whenever
 * anything was replaced, so `team/a-1` and `team_a-1` never share a workspace.
 */
export function workspaceKeyFor(identifier: string): string {
  const sanitized = identifier.replace(/[^A-Za-z0-9._-]/g, '_');
  if (sanitized === identifier) return identifier;
  const hash = createHash('sha256').update(identifier).digest('hex').slice(0, 8);
  return `${sanitized}-${hash}`;
}
