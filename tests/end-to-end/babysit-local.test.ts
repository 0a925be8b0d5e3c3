import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalScm } from '@loompa/scm-local';
import { describe, expect, it } from 'vitest';
import {
  agentRuns,
  createLoop,
  type LoopFixture,
  tickUntil,
} from './fixtures/change-request-loop-fixture.js';

/**
 * Babysitting on real git without a forge: a branch someone else made, opened as a scm-local
 * change request, is put under the loop by number (`scm.babysit` or `orchestrator.babysit`).
 * The agents are shell scripts; the checks are scm-local's real check commands.
 */

const answerCheck = {
  name: 'answer',
  command: 'echo "answer is $(cat answer.txt)"; test "$(cat answer.txt)" = 42',
};

/** The agent fixes the answer when told its checks failed; nothing else. */
const fixingAgent = [
  'case "$prompt" in',
  '  *"checks on your change failed"*) echo 42 > answer.txt ;;',
  'esac',
].join('\n');

const alice = ['-c', 'user.name=Alice', '-c', 'user.email=alice@example.com'];

/** Alice's branch off main: two commits of hers, the second with a wrong answer. Returns their shas. */
function makeAlicesBranch(fixture: LoopFixture, branch = 'feature/answer'): string[] {
  fixture.git('checkout', '--quiet', '-b', branch);
  fixture.git(...alice, 'commit', '--quiet', '--allow-empty', '-m', 'Alice: start the answer');
  writeFileSync(path.join(fixture.repository, 'answer.txt'), '41\n');
  fixture.git('add', 'answer.txt');
  fixture.git(...alice, 'commit', '--quiet', '-m', 'Alice: the answer is 41');
  // Her checkout goes back to main: Loompa never moves a branch someone has checked out.
  fixture.git('checkout', '--quiet', 'main');
  return [fixture.git('rev-parse', `${branch}~1`), fixture.git('rev-parse', branch)];
}

function localScmOf(fixture: LoopFixture) {
  return createLocalScm({
    repositoryPath: fixture.repository,
    stateDirectory: path.join(fixture.root, 'state'),
  });
}

/** Opens the scm-local change request for Alice's branch, as she would, and returns its number. */
async function openAlicesChangeRequest(fixture: LoopFixture, branch = 'feature/answer'): Promise<number> {
  const scm = localScmOf(fixture);
  const changeRequest = await scm.openChangeRequest({
    branch,
    baseBranch: 'main',
    title: 'Compute the answer',
    body: 'By Alice.',
  });
  await scm.close();
  return changeRequest.number!;
}

const waitingForAPerson = 'ready to merge; waiting for a person (scm.auto_merge is off)';

describe('babysitting a local branch someone else made', () => {
  it('fixes its failing check with a commit on top of hers, keeps her commits, and never merges without auto_merge', async () => {
    const fixture = await createLoop({
      tasks: [],
      agentScript: fixingAgent,
      scm: { auto_merge: false, babysit: [1], checks: [answerCheck] },
    });
    const aliceShas = makeAlicesBranch(fixture);
    expect(await openAlicesChangeRequest(fixture)).toBe(1);

    await tickUntil(fixture, () =>
      expect(fixture.orchestrator.snapshot().awaiting).toEqual([
        expect.objectContaining({ issueId: 'change-request:1', waitingFor: waitingForAPerson }),
      ]),
    );
    expect(fixture.eventsOf('change-request-babysat')).toEqual([
      expect.objectContaining({ issueId: 'change-request:1', reason: 'workflow' }),
    ]);
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['ci-failure']);
    // Her two commits stay exactly as they were, with one commit of Loompa's on top.
    const history = fixture.git('log', '--format=%H %an %s', 'main..feature/answer').split('\n');
    expect(history).toHaveLength(3);
    expect(history[0]).toMatch(/ loompa change-request-1: fix failing checks$/);
    expect(history.slice(1).map((line) => line.split(' ')[0])).toEqual([...aliceShas].reverse());
    expect(fixture.git('show', 'feature/answer:answer.txt')).toBe('42');
    // Nothing merged, nothing opened, and no task touched.
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
    expect(fixture.eventsOf('change-request-opened')).toEqual([]);
    expect(readdirSync(path.join(fixture.repository, '.loompa', 'tasks'))).toEqual([]);
    // The status comment is on the change request itself.
    const scm = localScmOf(fixture);
    const changeRequest = (await scm.findChangeRequest({ branch: 'feature/answer' }))!;
    const comments = await scm.listComments({ changeRequest });
    expect(comments.map((comment) => comment.key)).toEqual(['loompa-status']);
    expect(comments[0]!.body).toContain('babysitting this change request');
    expect(fixture.orchestrator.snapshot().babysitting).toEqual([
      expect.objectContaining({
        issueId: 'change-request:1',
        changeRequestNumber: 1,
        branch: 'feature/answer',
        author: 'Alice',
        pushable: true,
        reason: 'workflow',
        phase: 'awaiting',
      }),
    ]);
    for (let tick = 0; tick < 2; tick++) await fixture.orchestrator.tick();
    expect(agentRuns(fixture)).toBe(1);
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
  });

  it('refuses to push when the branch moved under it, then reads it again and fixes the new head', async () => {
    const fixture = await createLoop({
      tasks: [],
      // The first fix races Alice: she commits while the agent works, so Loompa's lease fails.
      agentScript: [
        'root=$(dirname "$0")',
        'if [ ! -f "$root/moved" ]; then',
        '  touch "$root/moved"',
        '  repo="$root/repository"',
        '  tree=$(git -C "$repo" rev-parse "feature/answer^{tree}")',
        '  commit=$(echo "Alice: meanwhile" | GIT_AUTHOR_NAME=Alice GIT_AUTHOR_EMAIL=alice@example.com GIT_COMMITTER_NAME=Alice GIT_COMMITTER_EMAIL=alice@example.com git -C "$repo" commit-tree "$tree" -p feature/answer)',
        '  git -C "$repo" update-ref refs/heads/feature/answer "$commit"',
        'fi',
        fixingAgent,
      ].join('\n'),
      scm: { auto_merge: false, babysit: [1], checks: [answerCheck] },
    });
    makeAlicesBranch(fixture);
    await openAlicesChangeRequest(fixture);
    await tickUntil(fixture, () =>
      expect(fixture.orchestrator.snapshot().awaiting[0]?.waitingFor).toBe(waitingForAPerson),
    );
    // Two fixes: the lease refused the first, the second built on Alice's new commit.
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual([
      'ci-failure',
      'ci-failure',
    ]);
    expect(agentRuns(fixture)).toBe(2);
    const failures = fixture.logLines
      .map((line) => JSON.parse(line) as { message: string; reason?: string })
      .filter((entry) => entry.message === 'a reaction failed');
    expect(failures).toEqual([
      expect.objectContaining({
        reason: expect.stringMatching(/^The branch feature\/answer moved under Loompa/),
      }),
    ]);
    expect(fixture.git('log', '--format=%an: %s', 'main..feature/answer').split('\n')).toEqual([
      'loompa: change-request-1: fix failing checks',
      'Alice: Alice: meanwhile',
      'Alice: Alice: the answer is 41',
      'Alice: Alice: start the answer',
    ]);
  });

  it('babysits a number asked for at runtime across a restart, rebases it onto a moved base, and merges it with auto_merge', async () => {
    const fixture = await createLoop({
      tasks: [],
      agentScript: fixingAgent,
      scm: { auto_merge: true, checks: [answerCheck] },
    });
    makeAlicesBranch(fixture);
    // The base moves on after Alice branched: her branch is behind.
    writeFileSync(path.join(fixture.repository, 'CHANGELOG.md'), 'main moved\n');
    fixture.git('add', 'CHANGELOG.md');
    fixture.git('commit', '--quiet', '-m', 'main moves on');
    await openAlicesChangeRequest(fixture);

    await fixture.orchestrator.babysit(1);
    const requestFile = path.join(fixture.root, 'state', 'store', `${encodeURIComponent('babysit/1')}.json`);
    expect(existsSync(requestFile)).toBe(true);
    await expect(fixture.orchestrator.babysit(0)).rejects.toThrow(/positive integer/);
    // A restart in the middle: the request was kept in the store, nothing else remembers it.
    await fixture.orchestrator.stop();
    const restarted = fixture.restart();

    await tickUntil(fixture, () =>
      expect(fixture.eventsOf('issue-done')).toEqual([
        expect.objectContaining({ issueId: 'change-request:1' }),
      ]),
    );
    expect(fixture.eventsOf('change-request-babysat')[0]).toMatchObject({ reason: 'request' });
    // Checks may still run when the branch is first read as behind: either may come first.
    expect(
      fixture
        .eventsOf('reaction-started')
        .map((event) => event.reaction)
        .sort(),
    ).toEqual(['ci-failure', 'conflict']);
    expect(fixture.git('show', 'main:answer.txt')).toBe('42');
    expect(fixture.git('show', 'main:CHANGELOG.md')).toBe('main moved');
    // Rebased and merged, her commits are still hers.
    expect(fixture.git('log', '--format=%an: %s', 'main')).toMatch(
      /Alice: Alice: the answer is 41\nAlice: Alice: start the answer\nPerson: main moves on/,
    );
    // Done: the runtime request is gone, and no task was touched or created.
    await restarted.tick();
    expect(existsSync(requestFile)).toBe(false);
    expect(restarted.snapshot().babysitting).toEqual([]);
    expect(readdirSync(path.join(fixture.repository, '.loompa', 'tasks'))).toEqual([]);
    expect(agentRuns(fixture)).toBe(1);
  });
});
