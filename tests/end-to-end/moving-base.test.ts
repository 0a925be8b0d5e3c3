import { describe, expect, it } from 'vitest';
import { createLoop, tickUntil } from './fixtures/change-request-loop-fixture.js';

/**
 * Several tasks at once on a base branch that moves under them: every merge moves `main`
 * while the other worktrees still sit on the commit they were made from. Publishing must
 * record only each agent's own work, never a snapshot of its stale worktree, or later
 * changes silently delete what was merged before them.
 */

const taskIdentifiers = ['C-1', 'C-2', 'C-3', 'C-4', 'C-5', 'C-6'];

// The agent adds one new file named after its task, and takes a moment so runs overlap.
const agentAddingItsOwnFile = [
  'id=$(printf "%s" "$prompt" | sed -n "s/^Work on \\(C-[0-9]*\\):.*/\\1/p" | head -n 1)',
  'sleep 0.2',
  'echo "written for $id" > "$id.txt"',
].join('\n');

describe('publishing on a base branch that moves', () => {
  for (const round of [1, 2]) {
    it(`keeps every task's file when six tasks with disjoint new files merge two at a time (round ${round})`, async () => {
      const fixture = await createLoop({
        tasks: taskIdentifiers.map((id) => ({ id, title: `Add ${id}.txt` })),
        agentScript: agentAddingItsOwnFile,
        scm: { auto_merge: true, checks: [{ name: 'passes', command: 'true' }] },
        agent: { max_concurrent_agents: 2 },
      });
      await fixture.orchestrator.runOnce();
      await tickUntil(fixture, () =>
        expect(fixture.eventsOf('issue-done')).toHaveLength(taskIdentifiers.length),
      );

      const filesOnMain = fixture.git('ls-tree', '--name-only', 'main').split('\n');
      for (const id of taskIdentifiers) {
        expect(filesOnMain).toContain(`${id}.txt`);
        expect(fixture.git('show', `main:${id}.txt`)).toBe(`written for ${id}`);
      }

      // Each merged commit adds its own task's file and touches nothing else.
      const commits = fixture.git('rev-list', '--reverse', 'main').split('\n').slice(1);
      expect(commits).toHaveLength(taskIdentifiers.length);
      for (const commit of commits) {
        const subject = fixture.git('log', '-1', '--format=%s', commit);
        const id = subject.split(':')[0]!;
        const changes = fixture.git('diff-tree', '--no-commit-id', '--name-status', '-r', commit);
        expect({ subject, changes }).toEqual({ subject, changes: `A\t${id}.txt` });
      }
      expect(fixture.eventsOf('change-request-opened')).toHaveLength(taskIdentifiers.length);
    }, 240_000);
  }
});
