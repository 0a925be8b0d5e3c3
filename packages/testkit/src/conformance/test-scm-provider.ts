import type { ChangeRequest, ChangeRequestStatus, ScmProviderV1 } from '@loompa/core';
import { afterEach, describe, expect, it } from 'vitest';

/** One file written by a commit the fixture makes. */
export interface ConformanceFileChange {
  file: string;
  content: string;
}

export interface ScmProviderConformanceFixture {
  provider: ScmProviderV1;
  /** The base branch change requests target. */
  baseBranch: string;
  /**
   * Creates `branch` from the base branch with one commit (writing `change`, or a file named
   * after the branch), where the provider reads it; returns the commit's sha.
   */
  createBranchWithCommit(branch: string, change?: ConformanceFileChange): Promise<string>;
  /** Adds a commit on top of an existing branch; returns the new head's sha. */
  addCommit?(branch: string, change: ConformanceFileChange): Promise<string>;
  /** Commits straight onto the base branch (someone else's work landing); returns its sha. */
  commitToBase?(change: ConformanceFileChange): Promise<string>;
  /** The commit the base branch points at. */
  readBaseHead?(): Promise<string>;
  /** Waits for the provider's background work (checks, mergeability computing) to finish. */
  settle?(): Promise<void>;
  /** A new provider over the same storage, as after a process restart. */
  restart?(): Promise<ScmProviderV1>;
  /** Gives whatever review the provider needs before merging the current head. */
  approve?(changeRequest: ChangeRequest): Promise<void>;
  /** A reviewer (not Loompa) opens a thread on `path`/`line` with `body`. */
  addReviewThread?(
    changeRequest: ChangeRequest,
    thread: { path: string; line: number; body: string },
  ): Promise<void>;
  /** Loompa's own comments on the change request, read from the provider's storage. */
  readComments?(changeRequest: ChangeRequest): Promise<Array<{ body: string }>>;
  /**
   * A check that fails, writing `logLine` to its log, on any head whose tree holds
   * `triggerFile`; it passes otherwise. Omit when the fixture configures no such check.
   */
  failingCheck?: { name: string; logLine: string; triggerFile: string };
  /**
   * A check that fails on any head whose tree holds `triggerFile` and passes when re-run
   * (`rerunChecks`) on the same head: a flaky test. Omit when the fixture has none.
   */
  flakyCheck?: { name: string; triggerFile: string };
  cleanup?(): Promise<void>;
}

export interface ScmProviderConformanceOptions {
  name: string;
  setup(): Promise<ScmProviderConformanceFixture>;
}

const continuousIntegrationStates = ['none', 'pending', 'success', 'failure'];
const reviewStates = ['approved', 'changes_requested', 'none'];
const mergeabilities = ['computing', 'clean', 'conflict', 'behind', 'blocked', 'unknown'];

/**
 * Reads the status until `accept` holds, letting the provider settle in between; forges
 * compute mergeability and run checks asynchronously, so one read may not show the answer yet.
 */
async function statusWhen(
  fixture: ScmProviderConformanceFixture,
  changeRequest: ChangeRequest,
  accept: (status: ChangeRequestStatus) => boolean,
  attempts = 20,
): Promise<ChangeRequestStatus> {
  let status = await fixture.provider.getStatus({ changeRequest });
  for (let attempt = 1; attempt < attempts && !accept(status); attempt += 1) {
    if (fixture.settle) await fixture.settle();
    else await new Promise((resolve) => setTimeout(resolve, 100));
    status = await fixture.provider.getStatus({ changeRequest });
  }
  return status;
}

const settled = (status: ChangeRequestStatus) =>
  status.mergeability !== 'computing' && status.continuousIntegration.state !== 'pending';

/** The behaviour every `ScmProviderV1` must show. Call it inside a vitest file. */
export function testScmProvider(options: ScmProviderConformanceOptions): void {
  describe(`ScmProviderV1 conformance: ${options.name}`, () => {
    let fixture: ScmProviderConformanceFixture | null = null;
    const start = async () => {
      fixture = await options.setup();
      return fixture;
    };
    const open = async (
      current: ScmProviderConformanceFixture,
      branch: string,
      change?: ConformanceFileChange,
    ) => {
      const headSha = await current.createBranchWithCommit(branch, change);
      const changeRequest = await current.provider.openChangeRequest({
        branch,
        baseBranch: current.baseBranch,
        title: `Conformance ${branch}`,
        body: 'Opened by the conformance suite',
      });
      return { headSha, changeRequest };
    };
    afterEach(async () => {
      await fixture?.cleanup?.();
      fixture = null;
    });

    it('finds nothing for a branch without a change request', async () => {
      const current = await start();
      expect(current.provider.specificationVersion).toBe('scm-provider-v1');
      expect(typeof current.provider.name).toBe('string');
      expect(await current.provider.findChangeRequest({ branch: 'loompa/none' })).toBeNull();
    });

    it('opens a change request, finds it by branch, and reports a normalized status', async () => {
      const current = await start();
      const { provider, baseBranch } = current;
      const { headSha, changeRequest: opened } = await open(current, 'loompa/conformance-1');
      expect(opened.state).toBe('open');
      expect(opened.branch).toBe('loompa/conformance-1');
      expect(opened.baseBranch).toBe(baseBranch);
      expect(opened.title).toBe('Conformance loompa/conformance-1');
      const found = await provider.findChangeRequest({ branch: 'loompa/conformance-1' });
      expect(found?.id).toBe(opened.id);
      const status = await statusWhen(current, opened, settled);
      expect(status.state).toBe('open');
      expect(status.headSha).toBe(headSha);
      expect(continuousIntegrationStates).toContain(status.continuousIntegration.state);
      expect(reviewStates).toContain(status.review.state);
      expect(mergeabilities).toContain(status.mergeability);
      expect(Array.isArray(status.continuousIntegration.checks)).toBe(true);
      expect(Array.isArray(status.review.threads)).toBe(true);
      expect(['clean', 'blocked']).toContain(status.mergeability);
    });

    it('keeps change requests apart by branch', async () => {
      const current = await start();
      const first = await open(current, 'loompa/conformance-a');
      const second = await open(current, 'loompa/conformance-b');
      expect(first.changeRequest.id).not.toBe(second.changeRequest.id);
      expect((await current.provider.findChangeRequest({ branch: 'loompa/conformance-a' }))?.id).toBe(
        first.changeRequest.id,
      );
      expect((await current.provider.findChangeRequest({ branch: 'loompa/conformance-b' }))?.id).toBe(
        second.changeRequest.id,
      );
    });

    it('finds the same change request after a restart', async (context) => {
      const current = await start();
      if (!current.restart) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-restart');
      const restarted = await current.restart();
      current.provider = restarted;
      const found = await restarted.findChangeRequest({ branch: 'loompa/conformance-restart' });
      expect(found).toMatchObject({ id: changeRequest.id, state: 'open', title: changeRequest.title });
    });

    it('follows new commits on the branch', async (context) => {
      const current = await start();
      if (!current.addCommit) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-head');
      const newHead = await current.addCommit('loompa/conformance-head', {
        file: 'second.txt',
        content: 'two\n',
      });
      const status = await statusWhen(current, changeRequest, (read) => read.headSha === newHead);
      expect(status.headSha).toBe(newHead);
    });

    it('edits the title and body', async (context) => {
      const current = await start();
      if (!current.provider.updateChangeRequest) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-edit');
      const updated = await current.provider.updateChangeRequest({
        changeRequest,
        title: 'Edited title',
        body: 'Edited body',
      });
      expect(updated.title).toBe('Edited title');
      expect((await current.provider.findChangeRequest({ branch: 'loompa/conformance-edit' }))?.title).toBe(
        'Edited title',
      );
    });

    it('reports behind when the base moved without conflict, conflict when it clashes', async (context) => {
      const current = await start();
      if (!current.commitToBase) return context.skip();
      const behind = await open(current, 'loompa/conformance-behind', {
        file: 'behind.txt',
        content: 'mine\n',
      });
      const clash = await open(current, 'loompa/conformance-clash', {
        file: 'shared.txt',
        content: 'mine\n',
      });
      await current.commitToBase({ file: 'shared.txt', content: 'theirs\n' });
      const behindStatus = await statusWhen(
        current,
        behind.changeRequest,
        (status) => status.mergeability === 'behind',
      );
      expect(behindStatus.mergeability).toBe('behind');
      const clashStatus = await statusWhen(
        current,
        clash.changeRequest,
        (status) => status.mergeability === 'conflict',
      );
      expect(clashStatus.mergeability).toBe('conflict');
    });

    it('keeps one comment per key, edited in place', async (context) => {
      const current = await start();
      if (!current.provider.upsertComment || !current.readComments) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-comment');
      await current.provider.upsertComment({ changeRequest, key: 'status', body: 'first status' });
      await current.provider.upsertComment({ changeRequest, key: 'status', body: 'second status' });
      await current.provider.upsertComment({ changeRequest, key: 'other', body: 'another comment' });
      const comments = await current.readComments(changeRequest);
      const bodies = comments.map((comment) => comment.body);
      expect(bodies.filter((body) => body.includes('status'))).toEqual(['second status']);
      expect(bodies.filter((body) => body.includes('another comment'))).toHaveLength(1);
    });

    it('shows review threads with file and line, and replies to and resolves them', async (context) => {
      const current = await start();
      if (!current.addReviewThread) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-thread');
      await current.addReviewThread(changeRequest, {
        path: 'README.md',
        line: 1,
        body: 'Please reword this',
      });
      let status = await statusWhen(current, changeRequest, (read) => read.review.threads.length > 0);
      const thread = status.review.threads.find((candidate) =>
        candidate.comments.some((comment) => comment.body.includes('Please reword this')),
      );
      expect(thread).toMatchObject({ path: 'README.md', line: 1, resolved: false });
      expect(thread!.comments[0]!.createdAt).toBeInstanceOf(Date);
      expect(thread!.comments[0]!.author.length).toBeGreaterThan(0);
      if (current.provider.replyToThread) {
        await current.provider.replyToThread({ changeRequest, threadId: thread!.id, body: 'Reworded' });
        status = await current.provider.getStatus({ changeRequest });
        const replied = status.review.threads.find((candidate) => candidate.id === thread!.id)!;
        expect(replied.comments.map((comment) => comment.body)).toEqual(['Please reword this', 'Reworded']);
      }
      if (current.provider.resolveThread) {
        await current.provider.resolveThread({ changeRequest, threadId: thread!.id });
        status = await current.provider.getStatus({ changeRequest });
        expect(status.review.threads.find((candidate) => candidate.id === thread!.id)?.resolved).toBe(true);
      }
    });

    it('reports a failing check and serves the tail of its log', async (context) => {
      const current = await start();
      const failing = current.failingCheck;
      if (!failing || !current.provider.getCheckLog) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-check', {
        file: failing.triggerFile,
        content: 'fail\n',
      });
      const status = await statusWhen(current, changeRequest, settled);
      expect(status.continuousIntegration.state).toBe('failure');
      const check = status.continuousIntegration.checks.find((candidate) => candidate.name === failing.name);
      expect(check?.state).toBe('failure');
      const log = await current.provider.getCheckLog({ changeRequest, checkId: check!.id, maxBytes: 20_000 });
      expect(log).toContain(failing.logLine);
      const tail = await current.provider.getCheckLog({ changeRequest, checkId: check!.id, maxBytes: 8 });
      expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(8);
      expect(log.endsWith(tail)).toBe(true);
    });

    it('re-runs a failed check, which reports under a new id and passes on the same head', async (context) => {
      const current = await start();
      const flaky = current.flakyCheck;
      if (!flaky || !current.provider.rerunChecks) return context.skip();
      const { headSha, changeRequest } = await open(current, 'loompa/conformance-rerun', {
        file: flaky.triggerFile,
        content: 'flaky\n',
      });
      const failed = await statusWhen(current, changeRequest, settled);
      const check = failed.continuousIntegration.checks.find((candidate) => candidate.name === flaky.name);
      expect(check?.state).toBe('failure');
      await current.provider.rerunChecks({ changeRequest, checks: [check!] });
      const passed = await statusWhen(
        current,
        changeRequest,
        (status) =>
          settled(status) &&
          status.continuousIntegration.checks.some(
            (candidate) => candidate.name === flaky.name && candidate.state === 'success',
          ),
      );
      expect(passed.headSha).toBe(headSha);
      const rerun = passed.continuousIntegration.checks.find((candidate) => candidate.name === flaky.name)!;
      expect(rerun.state).toBe('success');
      expect(rerun.id).not.toBe(check!.id);
    });

    it('refuses to merge a head that moved, merges the expected one', async (context) => {
      const current = await start();
      if (!current.provider.merge) return context.skip();
      const { headSha, changeRequest } = await open(current, 'loompa/conformance-merge', {
        file: 'merged.txt',
        content: 'merged\n',
      });
      await current.approve?.(changeRequest);
      const ready = await statusWhen(
        current,
        changeRequest,
        (status) => settled(status) && status.mergeability === 'clean',
      );
      expect(ready.mergeability).toBe('clean');
      expect(['success', 'none']).toContain(ready.continuousIntegration.state);
      const baseBefore = await current.readBaseHead?.();
      await expect(
        current.provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: '0'.repeat(40) }),
      ).rejects.toThrow();
      expect((await current.provider.getStatus({ changeRequest })).state).toBe('open');
      await current.provider.merge({ changeRequest, method: 'rebase', expectedHeadSha: headSha });
      const merged = await statusWhen(current, changeRequest, (status) => status.state === 'merged');
      expect(merged.state).toBe('merged');
      expect((await current.provider.findChangeRequest({ branch: 'loompa/conformance-merge' }))?.state).toBe(
        'merged',
      );
      if (current.readBaseHead) expect(await current.readBaseHead()).not.toBe(baseBefore);
    });

    it('closes without merging', async (context) => {
      const current = await start();
      if (!current.provider.closeChangeRequest) return context.skip();
      const { changeRequest } = await open(current, 'loompa/conformance-close');
      await current.provider.closeChangeRequest({ changeRequest });
      expect((await current.provider.getStatus({ changeRequest })).state).toBe('closed');
      expect((await current.provider.findChangeRequest({ branch: 'loompa/conformance-close' }))?.state).toBe(
        'closed',
      );
    });
  });
}
