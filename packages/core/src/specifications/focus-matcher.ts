import type { CallOptions, MaybePromise } from './common.js';
import type { Focus, FocusMatch } from './focus.js';
import type { Issue } from './issue.js';

/** Version 1 of the focus matcher slot: picks the focus an issue is worked under. */
export interface FocusMatcherV1 {
  readonly specificationVersion: 'focus-matcher-v1';
  readonly name: string;

  /** The best focus among `foci`, or null when none fits (the general focus applies). */
  match(options: CallOptions & { issue: Issue; foci: readonly Focus[] }): MaybePromise<FocusMatch | null>;
}
