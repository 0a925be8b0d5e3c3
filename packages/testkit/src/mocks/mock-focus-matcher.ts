import type { FocusMatch, FocusMatcherV1 } from '@loompa/core';
import { MockCallRecorder, type MockResponse } from './mock-method.js';

type MatchOptions = Parameters<FocusMatcherV1['match']>[0];

/** `FocusMatcherV1` for tests. */
export class MockFocusMatcher implements FocusMatcherV1 {
  readonly specificationVersion = 'focus-matcher-v1' as const;
  readonly name = 'mock';
  readonly recorder = new MockCallRecorder('MockFocusMatcher');

  constructor(private readonly settings: { match?: MockResponse<MatchOptions, FocusMatch | null> } = {}) {}

  match(options: MatchOptions): Promise<FocusMatch | null> {
    return this.recorder.respond('match', options, this.settings.match);
  }
}
