import type { ScmProviderV1 } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';

export interface ScmProviderConformanceFixture {
  provider: ScmProviderV1;
  /** The base branch change requests target. */
  baseBranch: string;
  /** Creates `branch` with one commit on top of the base branch, pushed where the provider reads it. */
  createBranchWithCommit(branch: string): Promise<void>;
  cleanup?(): Promise<void>;
}

export interface ScmProviderConformanceOptions {
  name: string;
  setup(): Promise<ScmProviderConformanceFixture>;
}

const continuousIntegrationStates = ['none', 'pending', 'success', 'failure'];
const reviewStates = ['approved', 'changes_requested', 'none'];
const mergeabilities = ['computing', 'clean', 'conflict', 'behind', 'blocked', 'unknown'];

/** The behaviour every `ScmProviderV1` must show. Call it inside a vitest file. */
export function testScmProvider(options: ScmProviderConformanceOptions): void {
  describe(`ScmProviderV1 conformance: ${options.name}`, () => {
    let fixture: ScmProviderConformanceFixture | null = null;
    afterEach(async () => {
      await fixture?.cleanup?.();
      fixture = null;
    });

    it('finds nothing for a branch without a change request', async () => {
      fixture = await options.setup();
      expect(fixture.provider.specificationVersion).toBe('scm-provider-v1');
      expect(await fixture.provider.findChangeRequest({ branch: 'loompa/none' })).toBeNull();
    });

    it('opens a change request, finds it by branch, and reports a normalized status', async () => {
      fixture = await options.setup();
      const { provider, baseBranch } = fixture;
      await fixture.createBranchWithCommit('loompa/conformance-1');
      const opened = await provider.openChangeRequest({
        branch: 'loompa/conformance-1',
        baseBranch,
        title: 'Conformance change',
        body: 'Opened by the conformance suite',
      });
      expect(opened.state).toBe('open');
      expect(opened.branch).toBe('loompa/conformance-1');
      expect(opened.baseBranch).toBe(baseBranch);
      const found = await provider.findChangeRequest({ branch: 'loompa/conformance-1' });
      expect(found?.id).toBe(opened.id);
      const status = await provider.getStatus({ changeRequest: opened });
      expect(status.state).toBe('open');
      expect(continuousIntegrationStates).toContain(status.continuousIntegration.state);
      expect(reviewStates).toContain(status.review.state);
      expect(mergeabilities).toContain(status.mergeability);
      expect(Array.isArray(status.continuousIntegration.checks)).toBe(true);
      expect(Array.isArray(status.review.threads)).toBe(true);
    });
  });
}
