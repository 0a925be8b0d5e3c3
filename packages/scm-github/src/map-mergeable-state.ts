import type { Mergeability } from '@loompa/core';

/**
 * GitHub's `mergeable` and `mergeable_state` as Loompa's mergeability. `mergeable: null`
 * means GitHub is still computing (a read starts the job); `unstable` (a non-required check
 * failed) and `has_hooks` merge cleanly, CI being reported apart; a draft is blocked.
 */
export function mapMergeableState(
  mergeable: boolean | null | undefined,
  state: string | undefined,
): Mergeability {
  if (mergeable === null || mergeable === undefined || state === 'unknown') return 'computing';
  switch (state) {
    case 'dirty':
      return 'conflict';
    case 'behind':
      return 'behind';
    case 'blocked':
    case 'draft':
      return 'blocked';
    case 'clean':
    case 'unstable':
    case 'has_hooks':
      return mergeable ? 'clean' : 'conflict';
    default:
      return mergeable ? 'unknown' : 'conflict';
  }
}
