import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { agentRuns, createLoop, loopTimeout, tickUntil } from './fixtures/change-request-loop-fixture.js';

describe('the change-request loop', () => {
  it('publishes, fixes failing checks from the log, addresses review, gets approved, merges and closes the task', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Store the answer' }],
      agentScript: [
        'case "$prompt" in',
        '  *"checks on your change failed"*) echo 42 > answer.txt ;;',
        '  *"reviewer asked for changes"*) echo "The answer is 42." > NOTES.md ;;',
        '  *) echo 41 > answer.txt ;;',
        'esac',
      ].join('\n'),
      reviewerScript: [
        'case "$prompt" in',
        '  *NOTES.md*) echo APPROVED ;;',
        '  *) printf "NEEDS_CHANGES\\n- answer.txt:1: explain the answer in NOTES.md\\n" ;;',
        'esac',
      ].join('\n'),
      scm: {
        auto_merge: true,
        checks: [
          { name: 'answer', command: 'echo "answer is $(cat answer.txt)"; test "$(cat answer.txt)" = 42' },
        ],
        reviewer: { agent: 'reviewer' },
      },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    const branch = fixture.eventsOf('change-request-opened')[0]!.changeRequest.branch;
    expect(branch).toBe('loompa/TASK-1');

    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(1));

    const reactions = fixture.eventsOf('reaction-started').map((event) => event.reaction);
    expect(reactions).toEqual(['ci-failure', 'review']);
    expect(fixture.git('show', 'main:answer.txt')).toBe('42');
    expect(fixture.git('show', 'main:NOTES.md')).toBe('The answer is 42.');
    const subjects = fixture.git('log', '--format=%s', 'main').split('\n');
    expect(subjects).toContain('TASK-1: Store the answer');
    expect(subjects).toContain('TASK-1: fix failing checks');
    expect(subjects).toContain('TASK-1: address review feedback');
    expect(fixture.git('log', '-1', '--format=%B', 'main~2')).toContain('Assisted-by: command');
    expect(fixture.taskFile('TASK-1')).toMatch(/^status: done$/m);
    expect(existsSync(path.join(fixture.root, 'workspaces', 'TASK-1'))).toBe(false);
    expect(agentRuns(fixture)).toBe(3);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
  });

  it('rebases the second of two conflicting tasks, lets the agent resolve the conflict, and merges both', async () => {
    const fixture = await createLoop({
      tasks: [
        { id: 'TASK-1', title: 'Say one' },
        { id: 'TASK-2', title: 'Say two' },
      ],
      repositoryFiles: { 'shared.txt': 'zero\n' },
      agentScript: [
        'case "$prompt" in',
        // Resolves without staging: the orchestrator stages once no conflict marker is left.
        '  *"stopped on conflicts"*) printf "one\\ntwo\\n" > shared.txt ;;',
        '  *TASK-1*) echo one > shared.txt ;;',
        '  *TASK-2*) echo two > shared.txt ;;',
        'esac',
      ].join('\n'),
      // No check is configured: merging an unchecked head is opted into explicitly.
      scm: { auto_merge: true, allow_merge_without_checks: true },
      agent: { max_concurrent_agents: 2 },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(2);
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-done')).toHaveLength(2));
    expect(fixture.eventsOf('reaction-started').map((event) => event.reaction)).toEqual(['conflict']);
    expect(fixture.git('show', 'main:shared.txt')).toBe('one\ntwo');
    expect(fixture.git('status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('blocks with a comment when the reaction limit is reached', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Never passes' }],
      agentScript: 'date +%s%N >> attempts.txt',
      scm: {
        auto_merge: true,
        checks: [{ name: 'always-fails', command: 'echo "nothing can pass"; exit 1' }],
      },
      reactions: { ci: { max_attempts: 1 } },
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () => expect(fixture.eventsOf('issue-blocked')).toHaveLength(1));
    expect(fixture.eventsOf('issue-blocked')[0]!.reason).toBe(
      'checks still fail after 1 fix attempts (reactions.ci.max_attempts is 1)',
    );
    const task = fixture.taskFile('TASK-1');
    expect(task).toContain('loompa:needs-human');
    expect(task).toContain('needs a person');
    expect(fixture.eventsOf('reaction-started')).toHaveLength(1);
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
  });

  it('never merges when auto_merge is off, and says it waits for a person', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Wait for me' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.runOnce();
    await tickUntil(fixture, () =>
      expect(fixture.orchestrator.snapshot().awaiting[0]?.waitingFor).toBe(
        'ready to merge; waiting for a person (scm.auto_merge is off)',
      ),
    );
    for (let tick = 0; tick < 3; tick++) await fixture.orchestrator.tick();
    expect(fixture.git('log', '--format=%s', 'main')).toBe('initial');
    expect(fixture.eventsOf('change-request-merged')).toEqual([]);
  });

  it('runs the whole loop on its own after start(): tracker and forge changes trigger ticks, no polling needed', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Hands off' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: true, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.start();
    await vi.waitFor(() => expect(fixture.eventsOf('issue-done')).toHaveLength(1), loopTimeout);
    expect(fixture.git('show', 'main:result.txt')).toBe('done');
  });

  it('after a restart adopts the open change request: no second change request, comment or agent run', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Survive a restart' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false, checks: ['test -f result.txt'] },
    });
    await fixture.orchestrator.runOnce();
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    const taskBefore = fixture.taskFile('TASK-1');
    await fixture.orchestrator.stop();

    const restarted = fixture.restart();
    await restarted.runOnce();
    for (let tick = 0; tick < 3; tick++) await restarted.tick();
    expect(restarted.snapshot().awaiting).toEqual([expect.objectContaining({ identifier: 'TASK-1' })]);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    expect(agentRuns(fixture)).toBe(1);
    const changeRequests = readdirSync(path.join(fixture.root, 'state', 'change-requests')).filter((name) =>
      name.endsWith('.json'),
    );
    expect(changeRequests).toHaveLength(1);
    expect(fixture.taskFile('TASK-1')).toBe(taskBefore);
  });

  it('links the issue after a restart when a crash came between opening and commenting', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Link me' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false },
    });
    await fixture.orchestrator.runOnce();
    await fixture.orchestrator.stop();
    // Undo the link as a crash right after opening would have left things.
    const taskPath = path.join(fixture.repository, '.loompa', 'tasks', 'TASK-1.md');
    const linked = readFileSync(taskPath, 'utf8');
    await writeFile(taskPath, linked.replace(/^.*opened a change request.*\n/m, ''));
    const storeDirectory = path.join(fixture.root, 'state', 'store');
    const [recordFile] = readdirSync(storeDirectory);
    const record = JSON.parse(readFileSync(path.join(storeDirectory, recordFile!), 'utf8'));
    await writeFile(
      path.join(storeDirectory, recordFile!),
      JSON.stringify({ ...record, trackerLinked: false }),
    );

    const restarted = fixture.restart();
    await restarted.runOnce();
    await restarted.tick();
    expect(fixture.taskFile('TASK-1').match(/opened a change request/g)).toHaveLength(1);
    await restarted.tick();
    expect(fixture.taskFile('TASK-1').match(/opened a change request/g)).toHaveLength(1);
    expect(agentRuns(fixture)).toBe(1);
  });

  it('finds an open change request left by a crash before it was recorded, instead of running again', async () => {
    const fixture = await createLoop({
      tasks: [{ id: 'TASK-1', title: 'Crash after opening' }],
      agentScript: 'echo done > result.txt',
      scm: { auto_merge: false },
    });
    await fixture.orchestrator.runOnce();
    await fixture.orchestrator.stop();
    // Lose the orchestrator's own record, as a crash between opening and recording would.
    await rm(path.join(fixture.root, 'state', 'store'), { recursive: true, force: true });
    const restarted = fixture.restart();
    await restarted.runOnce();
    expect(agentRuns(fixture)).toBe(1);
    expect(fixture.eventsOf('change-request-opened')).toHaveLength(1);
    expect(restarted.snapshot().awaiting).toEqual([expect.objectContaining({ identifier: 'TASK-1' })]);
  });
});
